package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	def := fwsim.DefaultConfig()
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, c fwsim.Config, o options)
		err   error
	}{
		{name: "defaults", check: func(t *testing.T, c fwsim.Config, o options) {
			require.Equal(t, "127.0.0.1:8080", o.addr)
			host, _, err := net.SplitHostPort(o.addr)
			require.NoError(t, err)
			require.True(t, net.ParseIP(host).IsLoopback(), "fwsim binds loopback by default")
			require.Equal(t, def, c)
			require.Equal(t, 20000, c.MaxConns)
			require.Equal(t, 2*time.Minute, c.IdleTimeout)
			require.Equal(t, 10*time.Second, c.HandshakeTimeout)
			require.Equal(t, 64, c.MaxPendingItems)
			require.Equal(t, 100.0, c.Hz)
			require.Equal(t, 24, c.Tokens)
			require.Equal(t, 40*time.Millisecond, c.TTFT)
			require.Equal(t, 15*time.Millisecond, c.ITL)
			require.Equal(t, 0.2, c.Jitter)
			require.Equal(t, 4, c.TokenBytes)
			require.Equal(t, 503, c.RejectStatus)
			require.Equal(t, 10*time.Second, c.Stall)
			require.Equal(t, "[END]", c.EndSentinel)
			require.Zero(t, c.Seed)
		}},
		{name: "every flag", args: []string{
			"-addr", "127.0.0.1:0", "-hz", "60", "-tokens", "7", "-ttft", "5ms", "-itl", "2ms",
			"-jitter", "0", "-token-bytes", "3", "-error-rate", "0.1", "-cut-rate", "0.2",
			"-reject-rate", "0.3", "-reject-status", "429", "-malformed-rate", "0.4",
			"-stall-rate", "0.5", "-stall", "1s", "-no-metrics", "-no-healthz", "-seed", "9",
			"-end-sentinel", "<<EOT>>", "-max-conns", "10", "-idle-timeout", "30s",
			"-handshake-timeout", "3s", "-max-pending-items", "5",
		}, check: func(t *testing.T, c fwsim.Config, o options) {
			require.Equal(t, "127.0.0.1:0", o.addr)
			want := def
			want.Hz, want.Tokens, want.TTFT, want.ITL = 60, 7, 5*time.Millisecond, 2*time.Millisecond
			want.Jitter, want.TokenBytes = 0, 3
			want.ErrorRate, want.CutRate, want.RejectRate, want.RejectStatus = 0.1, 0.2, 0.3, 429
			want.MalformedRate, want.StallRate, want.Stall = 0.4, 0.5, time.Second
			want.DisableMetrics, want.DisableHealthz, want.Seed = true, true, 9
			want.EndSentinel, want.MaxConns = "<<EOT>>", 10
			want.IdleTimeout, want.HandshakeTimeout, want.MaxPendingItems = 30*time.Second, 3*time.Second, 5
			require.Equal(t, want, c)
		}},
		{name: "invalid rate", args: []string{"-error-rate", "2"}, err: fwsim.ErrInvalidConfig},
		{name: "invalid idle timeout", args: []string{"-idle-timeout", "0"}, err: fwsim.ErrInvalidConfig},
		{name: "invalid status", args: []string{"-reject-status", "200"}, err: fwsim.ErrInvalidConfig},
		{name: "unknown flag", args: []string{"-nope"}},
		{name: "stray argument", args: []string{"extra"}},
		{name: "help", args: []string{"-h"}, err: flag.ErrHelp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, o, err := parseFlags(tc.args, io.Discard)
			if tc.check != nil {
				require.NoError(t, err)
				tc.check(t, c, o)
				return
			}
			require.Error(t, err)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			}
		})
	}
}

var listenLine = regexp.MustCompile(`^fwsim listening on http://(127\.0\.0\.1:\d+)\n$`)

func TestRunServesAndShutsDown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-tokens", "3", "-ttft", "1ms", "-itl", "1ms"}, pw, io.Discard)
		_ = pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	m := listenLine.FindStringSubmatch(line)
	require.NotNil(t, m, "stdout line %q", line)
	addr := m[1]
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/healthz", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()

	ws, resp, err := websocket.DefaultDialer.DialContext(t.Context(), "ws://"+addr+"/api/chat", nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	defer func() { _ = ws.Close() }()
	require.NoError(t, ws.WriteJSON(map[string]string{
		"type": "user_message", "content": "hi", "messageId": "x", "timestamp": time.Now().UTC().Format(time.RFC3339),
	}))
	var tokens int
	for {
		var f struct {
			Type  string
			Event struct{ Type string }
		}
		_, data, err := ws.ReadMessage()
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &f))
		if f.Event.Type == "complete" {
			break
		}
		tokens++
	}
	require.Equal(t, 3, tokens)

	cancel() // as SIGINT/SIGTERM would
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	_, _, err = ws.ReadMessage()
	require.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), "open sockets get a going-away close, got %v", err)
}

// The binary applies the handshake bound: a request whose headers never end is dropped.
func TestRunDropsSlowHandshake(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-handshake-timeout", "200ms"}, pw, io.Discard)
		_ = pw.Close()
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil { // this test checks the handshake bound, not how run ends
			t.Logf("run: %v", err)
		}
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	m := listenLine.FindStringSubmatch(line)
	require.NotNil(t, m, "stdout line %q", line)
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	conn, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", m[1])
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	_, err = io.WriteString(conn, "GET /api/chat HTTP/1.1\r\nHost: x\r\n")
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(start.Add(5*time.Second)))
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "a half-sent request stayed open: %v", err)
}
