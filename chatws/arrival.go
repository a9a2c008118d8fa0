package chatws

import (
	"context"
	"net"
	"time"

	"github.com/featherweight/xk6-featherweight/internal/netstamp"
)

// Frames are timed by their arrival, and prompts by the moment their bytes are handed to the
// kernel, not by when the goroutine that reads or writes them ran. Under load (a
// thousand streams on two cores) a goroutine woken for a frame can wait milliseconds for a CPU,
// and a timestamp taken after the read returns counts that wait as the server's latency. So,
// where the platform has it (Linux: SO_TIMESTAMPNS), each read of the TCP connection also asks
// the kernel when the newest data it returned arrived (package internal/netstamp), and a frame's
// time is that stamp. It is never earlier than the frame's arrival (the read that completed the
// frame may also have returned later data, whose stamp it then carries) and never later than the
// read's return.
// Elsewhere, or when the kernel gives no stamp, a frame's time is the read's return, as before.
// Likewise the clock of a turn starts when the last write of its prompt enters the socket (after
// the WebSocket framing and any wait for a write buffer), never earlier than the turn began
// writing: the server cannot have read a prompt before then, so neither stamp can shorten a
// measured latency, and both leave out the load generator's own scheduling delays.

// InnerConn finds the TCP connection inside a connection that NetDialContext returned, for
// dialers that wrap it (k6's counts the bytes read and written): it returns the inner
// connection and a function that replaces it in the wrapper. Nil means the dialled connection
// is the TCP connection itself.
type InnerConn func(net.Conn) (inner net.Conn, replace func(net.Conn))

type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// arrivalDialer wraps dial so that the TCP connection it makes reports when data arrived: the
// clock is set once the dial returns.
func arrivalDialer(dial dialFunc, unwrap InnerConn, clock *netstamp.Clock) dialFunc {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		target, replace := conn, func(c net.Conn) { conn = c }
		if unwrap != nil {
			if in, set := unwrap(conn); in != nil && set != nil {
				target, replace = in, set
			}
		}
		if tcp, ok := target.(*net.TCPConn); ok {
			if stamped, c := netstamp.Stamp(tcp); c != nil {
				replace(stamped)
				*clock = c
			}
		}
		return conn, nil
	}
}

// arrivedAt is when the frame just read arrived, on now's clock: the kernel's stamp of the
// newest data the last read returned when it is not later than now (the read's return),
// else now.
func (c *Conn) arrivedAt(now time.Time) time.Time {
	if c.clock == nil {
		return now
	}
	at, ok := c.clock.LastArrival()
	if !ok {
		return now
	}
	// at has no monotonic reading: subtract its age from now, which keeps now's.
	age := now.Sub(at)
	if age <= 0 || age > maxArrivalAge {
		return now
	}
	return now.Add(-age)
}

// promptWritten is when a prompt whose writing began at began was handed to the socket: the
// start of the connection's last write when it is not earlier than began, else began.
func (c *Conn) promptWritten(began time.Time) time.Time {
	if c.clock == nil {
		return began
	}
	if at, ok := c.clock.LastWriteStart(); ok && at.After(began) {
		return at
	}
	return began
}

// maxArrivalAge bounds a believable stamp: an older one means the wall clock was stepped.
const maxArrivalAge = time.Minute
