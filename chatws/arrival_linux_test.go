//go:build linux

package chatws

import (
	"context"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stampedPair is a loopback TCP connection whose client side takes arrival stamps, and the
// server side.
func stampedPair(t *testing.T) (*stampedConn, net.Conn) {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	var clock arrivalClock
	conn, err := arrivalDialer(nil, nil, &clock)(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	server, ok := <-accepted
	require.True(t, ok, "no connection accepted")
	t.Cleanup(func() { _ = server.Close() })
	stamped, ok := conn.(*stampedConn)
	require.True(t, ok, "the dialled connection is a %T, not a stampedConn", conn)
	require.Equal(t, arrivalClock(stamped), clock)
	return stamped, server
}

// warmUp exchanges bytes until the kernel stamps them: it turns receive timestamps on for the
// whole machine a moment after the first socket asks (a deferred switch), and data that arrived
// before then carries none.
func warmUp(t *testing.T, client *stampedConn, server net.Conn) {
	t.Helper()
	buf := make([]byte, 8)
	for range 200 {
		_, err := server.Write([]byte("w"))
		require.NoError(t, err)
		_, err = client.Read(buf)
		require.NoError(t, err)
		if _, ok := client.lastArrival(); ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the kernel never stamped a read")
}

func TestArrivalStampIsWhenTheDataArrivedNotWhenItWasRead(t *testing.T) {
	t.Parallel()
	client, server := stampedPair(t)
	_, ok := client.lastArrival()
	require.False(t, ok, "a stamp before any read")
	warmUp(t, client, server)

	beforeWrite := time.Now()
	_, err := server.Write([]byte("first token"))
	require.NoError(t, err)
	// The data is in the client's socket now (loopback delivers during the write); read it
	// only later, as a goroutine that waited for a CPU would.
	time.Sleep(20 * time.Millisecond)
	readStart := time.Now()
	buf := make([]byte, 64)
	n, err := client.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "first token", string(buf[:n]))
	at, ok := client.lastArrival()
	require.True(t, ok, "no kernel stamp after a read")
	require.False(t, at.Before(beforeWrite.Truncate(time.Microsecond)), "stamp %v before the server wrote (%v)", at, beforeWrite)
	require.True(t, at.Before(readStart), "stamp %v is not before the read started (%v)", at, readStart)
}

func TestLastWriteStartIsBeforeTheWriteReturns(t *testing.T) {
	t.Parallel()
	client, server := stampedPair(t)
	_, ok := client.lastWriteStart()
	require.False(t, ok, "a write start before any write")
	before := time.Now()
	_, err := client.Write([]byte("prompt"))
	require.NoError(t, err)
	after := time.Now()
	at, ok := client.lastWriteStart()
	require.True(t, ok)
	require.False(t, at.Before(before), "write start %v before the call (%v)", at, before)
	require.False(t, at.After(after), "write start %v after the write returned (%v)", at, after)
	got := make([]byte, 6)
	_, err = io.ReadFull(server, got)
	require.NoError(t, err)
	require.Equal(t, "prompt", string(got))
}

func TestStampedConnReadsAsTCPConnDoes(t *testing.T) {
	t.Parallel()
	client, server := stampedPair(t)

	require.NoError(t, client.SetReadDeadline(time.Now().Add(10*time.Millisecond)))
	_, err := client.Read(make([]byte, 8))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout(), "a read past the deadline: %v", err)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)

	require.NoError(t, client.SetReadDeadline(time.Time{}))
	n, err := client.Read(nil)
	require.NoError(t, err)
	require.Zero(t, n)

	require.NoError(t, server.Close())
	_, err = client.Read(make([]byte, 8))
	require.ErrorIs(t, err, io.EOF, "the peer closed")

	require.NoError(t, client.Close())
	_, err = client.Read(make([]byte, 8))
	require.ErrorIs(t, err, net.ErrClosed)
}

func TestArrivalDialerReplacesTheInnerConnOfAWrapper(t *testing.T) {
	t.Parallel()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = c.Read(make([]byte, 1))
			_, _ = c.Write([]byte("x"))
			_ = c.Close()
		}
	}()
	type wrapper struct{ net.Conn }
	var w *wrapper
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		w = &wrapper{c}
		return w, err
	}
	unwrap := func(c net.Conn) (net.Conn, func(net.Conn)) {
		if ww, ok := c.(*wrapper); ok {
			return ww.Conn, func(in net.Conn) { ww.Conn = in }
		}
		return nil, nil
	}
	var clock arrivalClock
	conn, err := arrivalDialer(dial, unwrap, &clock)(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	require.Same(t, w, conn, "the wrapper is what the dial returns")
	require.IsType(t, &stampedConn{}, w.Conn, "the wrapper's inner connection takes the stamps")
	_, err = conn.Write([]byte("?"))
	require.NoError(t, err)
	_, err = io.ReadAll(conn)
	require.NoError(t, err)
	require.Same(t, w.Conn, clock, "the clock is the inner connection's")
}

func TestDialTakesArrivalStampsUnlessAskedForTheReadReturnClock(t *testing.T) {
	t.Parallel()
	url := silentServer(t)
	stamped := dial(t, url, Options{})
	require.IsType(t, &stampedConn{}, stamped.clock, "a TCP connection on Linux takes arrival stamps")
	plain := dial(t, url, Options{ReadReturnClock: true})
	require.Nil(t, plain.clock, "ReadReturnClock: frames timed when the read returns")
}
