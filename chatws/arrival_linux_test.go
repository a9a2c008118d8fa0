//go:build linux

package chatws

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/netstamp"
)

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
	var clock netstamp.Clock
	conn, err := arrivalDialer(dial, unwrap, &clock)(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	require.Same(t, w, conn, "the wrapper is what the dial returns")
	require.IsType(t, &netstamp.Conn{}, w.Conn, "the wrapper's inner connection takes the stamps")
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
	require.IsType(t, &netstamp.Conn{}, stamped.clock, "a TCP connection on Linux takes arrival stamps")
	plain := dial(t, url, Options{ReadReturnClock: true})
	require.Nil(t, plain.clock, "ReadReturnClock: frames timed when the read returns")
}
