// Package netstamp reads TCP connections with the kernel's receive timestamps, so that a reader
// knows when data arrived rather than when its goroutine got a CPU to read it.
//
// On Linux a [Conn] asks for SO_TIMESTAMPNS and reads with recvmsg: after each read,
// [Conn.LastArrival] is the kernel's receive time of the newest data the read returned. It also
// notes when each write began ([Conn.LastWriteStart]). The chat client times frames with it; the
// servers of the arrival tests and benchmarks take each request's arrival with a [Listener],
// [ConnContext] and [RequestArrival]. Elsewhere, and on
// a socket that refuses the option, [Stamp] returns the connection unchanged and no [Clock].
package netstamp

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Clock tells when the data of a connection's last read arrived, and when its last write began.
type Clock interface {
	// LastArrival is the kernel's receive time of the newest data the last read returned; ok is
	// false when there was none (no read yet, or the kernel gave no stamp). It carries no
	// monotonic clock reading.
	LastArrival() (at time.Time, ok bool)
	// LastWriteStart is when the last write entered the socket; ok is false before any.
	LastWriteStart() (at time.Time, ok bool)
}

// Listener stamps every TCP connection it accepts (see [Stamp]); other connections pass as they
// are.
type Listener struct {
	net.Listener
}

// Accept waits for the next connection and stamps it.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		stamped, _ := Stamp(tcp)
		return stamped, nil
	}
	return c, nil
}

// ClockOf is the Clock of a connection a [Listener] accepted, or nil when it takes no stamps.
func ClockOf(c net.Conn) Clock {
	clock, _ := c.(Clock)
	return clock
}

// connKey holds a request's connection in its context.
type connKey struct{}

// ConnContext is an http.Server's ConnContext that lets its handlers call [RequestArrival].
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// RequestArrival is when the data of r reached the server's socket: the kernel's receive stamp of
// the connection's last read, for a server that accepts on a [Listener] with [ConnContext] (a
// client that sends a request only after the previous response, as k6 does, leaves that read to
// r). ok is false when there is no stamp, or one later than now, the handler's own reading.
func RequestArrival(r *http.Request, now time.Time) (at time.Time, ok bool) {
	conn, _ := r.Context().Value(connKey{}).(net.Conn)
	if conn == nil {
		return now, false
	}
	clock := ClockOf(conn)
	if clock == nil {
		return now, false
	}
	at, ok = clock.LastArrival()
	if !ok || at.After(now) {
		return now, false
	}
	return at, true
}
