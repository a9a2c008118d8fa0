package chatws

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/featherweight/xk6-featherweight/failure"
	"github.com/featherweight/xk6-featherweight/internal/netstamp"
)

// ConnectInfo describes the connection establishment.
type ConnectInfo struct {
	Start       time.Time     // when the dial began
	Connecting  time.Duration // TCP + TLS + WebSocket handshake
	Status      int           // HTTP status of the upgrade response (0 when none arrived)
	Subprotocol string        // negotiated subprotocol
	RemoteIP    string        // peer IP address
}

// Conn is one WebSocket connection that runs chat turns, one at a time.
type Conn struct {
	ws       *websocket.Conn
	codec    Codec
	opts     Options
	timeouts Timeouts

	mu        sync.Mutex // serialises turns
	broken    atomic.Bool
	closed    atomic.Bool
	closeCode atomic.Int64

	clock     netstamp.Clock  // when the data of the last read arrived (nil: time frames at the read's return)
	buf       []byte          // reusable read buffer (readBufSize, or larger up to maxKeptReadBuf)
	itls      []time.Duration // reusable ITL buffer (at most ITLBatch gaps when the turn has a sink)
	itlSketch itlSketch       // summary of the current turn's gaps (buckets lent only to long turns)
}

// Buffer sizes and close deadlines.
const (
	readBufSize           = 1 << 10     // initial message buffer of a Conn (it grows to the largest message)
	defaultReadBufferSize = 1 << 10     // gorilla's read buffer (Options.ReadBufferSize)
	maxKeptReadBuf        = 64 << 10    // a read buffer grown past this is dropped after the message
	closeWait             = time.Second // bound on writing a close frame (ours, or the echo of the server's)
)

// Dial opens a WebSocket connection. The error, if any, is a *Error of kind failure.KindConnect,
// failure.KindHandshake, failure.KindCanceled or failure.KindProtocol (bad protocol options);
// ConnectInfo is filled as far as the attempt went.
func Dial(ctx context.Context, url string, opts Options) (*Conn, ConnectInfo, error) {
	codec := opts.Codec
	if codec == nil {
		var err error
		if codec, err = NewCodec(opts.Protocol); err != nil {
			return nil, ConnectInfo{}, newErr(failure.KindProtocol, "bad protocol options", err)
		}
	}
	to := opts.Timeouts.withDefaults(defaultTimeouts())
	if opts.MaxFrameBytes <= 0 {
		opts.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if opts.ReadBufferSize <= 0 {
		opts.ReadBufferSize = defaultReadBufferSize
	}
	var clock netstamp.Clock
	dial := opts.NetDialContext
	if !opts.ReadReturnClock {
		dial = arrivalDialer(dial, opts.InnerConn, &clock)
	}
	d := websocket.Dialer{
		ReadBufferSize:   opts.ReadBufferSize,
		WriteBufferPool:  opts.WriteBufferPool,
		NetDialContext:   dial,
		TLSClientConfig:  opts.TLSConfig,
		Proxy:            opts.Proxy,
		Subprotocols:     opts.Subprotocols,
		HandshakeTimeout: to.Connect,
	}
	dctx, cancel := context.WithTimeout(ctx, to.Connect)
	defer cancel()

	info := ConnectInfo{Start: time.Now()}
	ws, resp, err := d.DialContext(dctx, url, opts.Headers)
	info.Connecting = time.Since(info.Start)
	if resp != nil {
		info.Status = resp.StatusCode
		if resp.Body != nil {
			_ = resp.Body.Close()
		}
	}
	if ws != nil {
		info.Subprotocol = ws.Subprotocol()
		if addr := ws.RemoteAddr(); addr != nil {
			if ip, _, e := net.SplitHostPort(addr.String()); e == nil {
				info.RemoteIP = ip
			}
		}
	}
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, info, newErr(failure.KindCanceled, "dial canceled", err)
		case resp != nil:
			return nil, info, newErr(failure.KindHandshake, "upgrade rejected with HTTP "+strconv.Itoa(resp.StatusCode), err)
		case dctx.Err() != nil:
			return nil, info, newErr(failure.KindConnect, "connect timeout after "+to.Connect.String(), err)
		case errors.Is(err, websocket.ErrBadHandshake):
			return nil, info, newErr(failure.KindHandshake, "bad handshake", err)
		default:
			return nil, info, newErr(failure.KindConnect, "dial failed", err)
		}
	}
	ws.SetReadLimit(opts.MaxFrameBytes)
	c := &Conn{ws: ws, codec: codec, opts: opts, timeouts: to, clock: clock, buf: make([]byte, 0, readBufSize)}
	ws.SetCloseHandler(func(code int, _ string) error {
		c.closeCode.Store(int64(code))
		msg := websocket.FormatCloseMessage(code, "")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait))
		return nil
	})
	return c, info, nil
}

// Close sends a close frame (best effort) and closes the socket. It is safe to call more than
// once and concurrently with Turn.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if !c.broken.Load() {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait))
	}
	return c.ws.Close()
}

// Usable reports whether the connection can carry another turn: not closed by Close, and not
// broken by a turn (a cancelled turn, a read or write failure, a timeout: the socket is gone or
// holds the rest of an abandoned reply). A server that closes the socket between turns is only
// seen by the next turn's read.
func (c *Conn) Usable() bool { return !c.closed.Load() && !c.broken.Load() }

func (c *Conn) closeCodeOr(def int) int {
	if code := c.closeCode.Load(); code != 0 {
		return int(code)
	}
	return def
}

// readMessage reads one whole message into the reusable buffer.
func (c *Conn) readMessage() ([]byte, error) {
	_, r, err := c.ws.NextReader()
	if err != nil {
		return nil, err
	}
	buf := c.buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			c.buf = buf[:0]
			return nil, err
		}
	}
	if cap(buf) <= maxKeptReadBuf { // do not pin huge buffers
		c.buf = buf[:0]
	} else {
		c.buf = make([]byte, 0, readBufSize)
	}
	return buf, nil
}
