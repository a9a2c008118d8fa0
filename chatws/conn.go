package chatws

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
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
	closeCode atomic.Int32

	buf  []byte          // reusable read buffer
	itls []time.Duration // reusable ITL buffer
}

// Dial opens a WebSocket connection. The error, if any, is a *Error of kind ErrConnect,
// ErrHandshake, ErrCanceled or ErrProtocol (bad protocol options); ConnectInfo is filled as far
// as the attempt went.
func Dial(ctx context.Context, url string, opts Options) (*Conn, ConnectInfo, error) {
	codec := opts.Codec
	if codec == nil {
		var err error
		if codec, err = NewCodec(opts.Protocol); err != nil {
			return nil, ConnectInfo{}, newErr(ErrProtocol, "bad protocol options", err)
		}
	}
	to := opts.Timeouts.withDefaults(defaultTimeouts)
	if opts.MaxFrameBytes <= 0 {
		opts.MaxFrameBytes = DefaultMaxFrameBytes
	}
	d := websocket.Dialer{
		NetDialContext:   opts.NetDialContext,
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
			return nil, info, newErr(ErrCanceled, "dial canceled", err)
		case resp != nil:
			return nil, info, newErr(ErrHandshake, "upgrade rejected with HTTP "+strconv.Itoa(resp.StatusCode), err)
		case dctx.Err() != nil:
			return nil, info, newErr(ErrConnect, "connect timeout after "+to.Connect.String(), err)
		case errors.Is(err, websocket.ErrBadHandshake):
			return nil, info, newErr(ErrHandshake, "bad handshake", err)
		default:
			return nil, info, newErr(ErrConnect, "dial failed", err)
		}
	}
	ws.SetReadLimit(opts.MaxFrameBytes)
	c := &Conn{ws: ws, codec: codec, opts: opts, timeouts: to, buf: make([]byte, 0, 4096)}
	ws.SetCloseHandler(func(code int, _ string) error {
		c.closeCode.Store(int32(code))
		msg := websocket.FormatCloseMessage(code, "")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		return nil
	})
	return c, info, nil
}

// Protocol returns the codec's protocol name.
func (c *Conn) Protocol() string { return c.codec.Name() }

// Close sends a close frame (best effort) and closes the socket. It is safe to call more than
// once and concurrently with Turn.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if !c.broken.Load() {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
	return c.ws.Close()
}

// Result is the outcome and timing of one turn.
type Result struct {
	OK           bool
	Err          *Error // nil when OK
	Start        time.Time
	MessageID    string
	Tokens       int    // Usage when TokensSource is "usage", else Chunks
	TokensSource string // "usage" or "frames"
	Chunks       int    // token-bearing frames received
	HasTTFT      bool
	TTFT         time.Duration
	Duration     time.Duration // prompt written -> terminal frame (or failure)
	HasTPOT      bool
	TPOT         time.Duration
	ITLs         []time.Duration // one per gap; aliases a Conn buffer valid until the next Turn
	CloseCode    int             // close code when the socket closed during the turn (1006 abnormal)
	Text         string          // reply text, up to KeepTextBytes
}

type timeoutPhase uint8

const (
	phaseFirst timeoutPhase = iota
	phaseIdle
	phaseTotal
)

// drainWait bounds the wait for the next frame once a turn's failure is decided (an undecodable
// frame, or an error the server follows with a terminal frame).
const drainWait = time.Second

// pastDeadline is set on the socket to end a blocked read when the context is cancelled.
var pastDeadline = time.Unix(1, 0)

func newMessageID() string {
	return "fw-" + strconv.FormatUint(rand.Uint64(), 36)
}

// Turn sends prompt and reads the reply until the terminal frame, an error, a timeout or ctx
// cancellation. It never panics on server data.
func (c *Conn) Turn(ctx context.Context, prompt string, o TurnOptions) Result {
	c.mu.Lock()
	defer c.mu.Unlock()

	res := Result{MessageID: o.MessageID, TokensSource: "frames"}
	if res.MessageID == "" {
		res.MessageID = newMessageID()
	}
	to := o.Timeouts.withDefaults(c.timeouts)
	keep := c.opts.KeepTextBytes
	if o.KeepTextBytes != 0 {
		keep = max(o.KeepTextBytes, 0)
	}
	c.itls = c.itls[:0]

	fail := func(kind ErrorKind, msg string, cause error) Result {
		res.Err = newErr(kind, msg, cause)
		res.ITLs = c.itls
		res.Tokens = res.Chunks
		return res
	}
	if err := ctx.Err(); err != nil {
		res.Start = time.Now()
		return fail(ErrCanceled, "turn canceled before start", err)
	}
	if c.closed.Load() || c.broken.Load() {
		res.Start = time.Now()
		res.CloseCode = c.closeCodeOr(websocket.CloseAbnormalClosure)
		return fail(ErrClosed, "connection is closed", nil)
	}

	// Cancellation ends a blocked read or write at once.
	nc := c.ws.NetConn()
	stop := context.AfterFunc(ctx, func() {
		_ = nc.SetReadDeadline(pastDeadline)
		_ = nc.SetWriteDeadline(pastDeadline)
	})
	defer stop()

	frames, isText, err := c.codec.EncodeRequest(prompt, res.MessageID, time.Now())
	if err != nil {
		res.Start = time.Now()
		return fail(ErrProtocol, "cannot encode request", err)
	}
	mt := websocket.BinaryMessage
	if isText {
		mt = websocket.TextMessage
	}
	res.Start = time.Now()
	_ = c.ws.SetWriteDeadline(res.Start.Add(to.Total))
	for _, f := range frames {
		if err := c.ws.WriteMessage(mt, f); err != nil {
			c.broken.Store(true)
			if ctx.Err() != nil {
				return fail(ErrCanceled, "turn canceled", ctx.Err())
			}
			res.CloseCode = c.closeCodeOr(websocket.CloseAbnormalClosure)
			return fail(ErrClosed, "write failed", err)
		}
	}
	// The clock for TTFT and duration starts as the prompt is handed to the socket, stamped before
	// the write (as vLLM's benchmark does): a goroutine descheduled after its write returns would
	// otherwise find the first token already buffered and report a TTFT of microseconds. Scheduling
	// delays can then only lengthen the measured TTFT, never shorten it.
	written := res.Start
	totalDeadline := written.Add(to.Total)

	var (
		last      time.Time
		usage     = -1
		text      []byte
		pending   *Error // a failure already decided; the turn reads on to its terminal frame
		lastFrame time.Time
	)
	for {
		deadline, phase := totalDeadline, phaseTotal
		if !res.HasTTFT {
			if d := written.Add(to.FirstToken); d.Before(deadline) {
				deadline, phase = d, phaseFirst
			}
		} else if d := last.Add(to.Idle); d.Before(deadline) {
			deadline, phase = d, phaseIdle
		}
		if pending != nil { // draining after a decided failure: do not wait long for the rest
			if d := lastFrame.Add(min(to.Idle, drainWait)); d.Before(deadline) {
				deadline = d
			}
		}
		_ = nc.SetReadDeadline(deadline)
		if ctx.Err() != nil { // cancelled between AfterFunc and our deadline update
			c.broken.Store(true)
			res.Duration = time.Since(written)
			return fail(ErrCanceled, "turn canceled", ctx.Err())
		}

		frame, err := c.readMessage()
		now := time.Now() // stamp right after the read returns
		lastFrame = now
		if err != nil {
			c.broken.Store(true)
			res.Duration = now.Sub(written)
			if pending != nil && ctx.Err() == nil {
				return fail(pending.Kind, pending.Msg, pending.Err)
			}
			return c.readFailure(ctx, &res, err, phase, to, fail)
		}
		ev, err := c.codec.Decode(frame, res.MessageID)
		if err != nil {
			if pending == nil {
				pending = newErr(ErrProtocol, "undecodable frame", err)
			}
			continue // read on to the terminal frame so the connection stays in step
		}
		if len(ev.Text) > 0 {
			res.Chunks++
			if !res.HasTTFT {
				res.HasTTFT, res.TTFT = true, now.Sub(written)
			} else {
				c.itls = append(c.itls, now.Sub(last))
			}
			last = now
			if room := keep - len(text); room > 0 {
				text = append(text, ev.Text[:min(room, len(ev.Text))]...)
			}
		}
		if ev.HasUsage {
			usage = ev.Usage
		}
		if pending != nil && (ev.Kind == EventDone || ev.Kind == EventError) {
			res.Duration = now.Sub(written)
			res.Text = string(text)
			return fail(pending.Kind, pending.Msg, pending.Err)
		}
		switch ev.Kind {
		case EventDone:
			res.OK = true
			res.Duration = now.Sub(written)
			res.ITLs = c.itls
			res.Tokens = res.Chunks
			if usage >= 0 {
				res.Tokens, res.TokensSource = usage, "usage"
			}
			if res.HasTTFT && res.Tokens > 1 {
				res.HasTPOT = true
				res.TPOT = (res.Duration - res.TTFT) / time.Duration(res.Tokens-1)
			}
			res.Text = string(text)
			return res
		case EventError:
			if ev.Continue {
				pending = newErr(ErrServerError, orDefault(ev.Message, "server error frame"), nil)
				continue
			}
			res.Duration = now.Sub(written)
			res.Text = string(text)
			msg := ev.Message
			if msg == "" {
				msg = "server error frame"
			}
			return fail(ErrServerError, msg, nil)
		}
	}
}

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
	if cap(buf) <= 64<<10 { // do not pin huge buffers
		c.buf = buf[:0]
	} else {
		c.buf = make([]byte, 0, 4096)
	}
	return buf, nil
}

func (c *Conn) readFailure(ctx context.Context, res *Result, err error, phase timeoutPhase, to Timeouts,
	fail func(ErrorKind, string, error) Result,
) Result {
	if ctx.Err() != nil {
		return fail(ErrCanceled, "turn canceled", ctx.Err())
	}
	if c.closed.Load() {
		res.CloseCode = c.closeCodeOr(websocket.CloseNormalClosure)
		return fail(ErrClosed, "connection closed by client", err)
	}
	if errors.Is(err, websocket.ErrReadLimit) {
		return fail(ErrProtocol, "frame larger than maxFrameBytes ("+strconv.FormatInt(c.opts.MaxFrameBytes, 10)+")", err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		switch phase {
		case phaseFirst:
			return fail(ErrTimeoutFirstToken, "no token within "+to.FirstToken.String(), err)
		case phaseIdle:
			return fail(ErrTimeoutIdle, "no frame within "+to.Idle.String()+" of the last token", err)
		default:
			return fail(ErrTimeoutTotal, "turn exceeded "+to.Total.String(), err)
		}
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		res.CloseCode = ce.Code
		return fail(ErrClosed, "server closed the connection before the end of the reply", err)
	}
	res.CloseCode = c.closeCodeOr(websocket.CloseAbnormalClosure)
	return fail(ErrClosed, "connection dropped before the end of the reply", err)
}
