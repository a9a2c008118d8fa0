//go:build linux

package netstamp

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// loopbackPair dials a listener on 127.0.0.1 made by wrap (nil: a plain one) and returns the
// dialled connection and the accepted one.
func loopbackPair(t *testing.T, wrap func(net.Listener) net.Listener) (client, server net.Conn) {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if wrap != nil {
		ln = wrap(ln)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	client, err = (&net.Dialer{}).DialContext(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	server, ok := <-accepted
	require.True(t, ok, "no connection accepted")
	t.Cleanup(func() { _ = server.Close() })
	return client, server
}

// stampedPair is a loopback TCP connection whose client side takes arrival stamps, and the
// server side.
func stampedPair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	dialled, server := loopbackPair(t, nil)
	tcp, ok := dialled.(*net.TCPConn)
	require.True(t, ok)
	conn, clock := Stamp(tcp)
	stamped, ok := conn.(*Conn)
	require.True(t, ok, "the stamped connection is a %T, not a *Conn", conn)
	require.Equal(t, Clock(stamped), clock)
	return stamped, server
}

// warmUp exchanges bytes until the kernel stamps them: it turns receive timestamps on for the
// whole machine a moment after the first socket asks (a deferred switch), and data that arrived
// before then carries none.
func warmUp(t *testing.T, client *Conn, server net.Conn) {
	t.Helper()
	buf := make([]byte, 8)
	for range 200 {
		_, err := server.Write([]byte("w"))
		require.NoError(t, err)
		_, err = client.Read(buf)
		require.NoError(t, err)
		if _, ok := client.LastArrival(); ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the kernel never stamped a read")
}

func TestArrivalStampIsWhenTheDataArrivedNotWhenItWasRead(t *testing.T) {
	t.Parallel()
	client, server := stampedPair(t)
	_, ok := client.LastArrival()
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
	at, ok := client.LastArrival()
	require.True(t, ok, "no kernel stamp after a read")
	require.False(t, at.Before(beforeWrite.Truncate(time.Microsecond)), "stamp %v before the server wrote (%v)", at, beforeWrite)
	require.True(t, at.Before(readStart), "stamp %v is not before the read started (%v)", at, readStart)
}

func TestLastWriteStartIsBeforeTheWriteReturns(t *testing.T) {
	t.Parallel()
	client, server := stampedPair(t)
	_, ok := client.LastWriteStart()
	require.False(t, ok, "a write start before any write")
	before := time.Now()
	_, err := client.Write([]byte("prompt"))
	require.NoError(t, err)
	after := time.Now()
	at, ok := client.LastWriteStart()
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

func TestListenerStampsWhatTheServerReads(t *testing.T) {
	t.Parallel()
	client, server := loopbackPair(t, func(ln net.Listener) net.Listener { return Listener{ln} })
	stamped, ok := server.(*Conn)
	require.True(t, ok, "the accepted connection is a %T, not a *Conn", server)
	require.Equal(t, Clock(stamped), ClockOf(server))

	buf := make([]byte, 64)
	var at time.Time
	for range 200 { // until the kernel stamps (see warmUp)
		beforeWrite := time.Now()
		_, err := client.Write([]byte("request"))
		require.NoError(t, err)
		time.Sleep(5 * time.Millisecond)
		readStart := time.Now()
		n, err := server.Read(buf)
		require.NoError(t, err)
		require.Equal(t, "request", string(buf[:n]))
		if at, ok = ClockOf(server).LastArrival(); ok {
			require.False(t, at.Before(beforeWrite.Truncate(time.Microsecond)), "stamp %v before the client wrote (%v)", at, beforeWrite)
			require.True(t, at.Before(readStart), "stamp %v is not before the read started (%v)", at, readStart)
			return
		}
	}
	t.Fatal("the kernel never stamped a read")
}

func TestClockOfAConnectionWithoutStampsIsNil(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	require.Nil(t, ClockOf(a))
}

func TestRequestArrivalIsTheRequestsStampAtTheServer(t *testing.T) {
	t.Parallel()
	type reading struct {
		at, now time.Time
		ok      bool
	}
	readings := make(chan reading, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		at, ok := RequestArrival(r, now)
		readings <- reading{at: at, now: now, ok: ok}
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Listener = Listener{Listener: srv.Listener}
	srv.Config.ConnContext = ConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	client := srv.Client()
	for range 200 { // until the kernel stamps (see warmUp)
		beforeSend := time.Now()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		got := <-readings
		if got.ok {
			require.False(t, got.at.Before(beforeSend.Truncate(time.Microsecond)), "stamp %v before the request was sent (%v)", got.at, beforeSend)
			require.False(t, got.at.After(got.now), "stamp %v after the handler ran (%v)", got.at, got.now)
			return
		}
		require.Equal(t, got.now, got.at, "without a stamp the arrival is the handler's time")
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the kernel never stamped a request")
}

func TestRequestArrivalWithoutConnContextIsTheHandlersTime(t *testing.T) {
	t.Parallel()
	now := time.Now()
	at, ok := RequestArrival(httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil), now)
	require.False(t, ok)
	require.Equal(t, now, at)
}
