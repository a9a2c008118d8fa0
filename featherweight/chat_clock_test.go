package featherweight

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	"go.k6.io/k6/lib/netext"
)

// countingConn stands for the chat client's wrapper of the TCP connection.
type countingConn struct {
	net.Conn
	reads int
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.reads++
	return c.Conn.Read(p)
}

func TestK6InnerConnReachesTheTCPConnInsideK6sDialer(t *testing.T) {
	t.Parallel()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = c.Write([]byte("hello"))
			_ = c.Close()
		}
	}()
	d := netext.NewDialer(net.Dialer{}, nil)
	conn, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()

	inner, replace := k6InnerConn(conn)
	require.IsType(t, &net.TCPConn{}, inner, "the connection inside k6's")
	require.NotNil(t, replace)
	wrapped := &countingConn{Conn: inner}
	replace(wrapped)

	got, err := io.ReadAll(conn)
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))
	require.Positive(t, wrapped.reads, "reads go through the replacement")
	require.EqualValues(t, 5, d.BytesRead, "k6 still counts data_received")

	none, set := k6InnerConn(inner)
	require.Nil(t, none)
	require.Nil(t, set, "a plain TCP connection has no inner one")
}
