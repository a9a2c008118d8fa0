package fwsim_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// Resource bounds: idle and slowloris clients, the connection cap, and the
// realtime pending items must not let one client grow the server without bound.

func TestDefaultBounds(t *testing.T) {
	t.Parallel()
	c := fwsim.DefaultConfig()
	require.Equal(t, 20000, c.MaxConns)
	require.Equal(t, 2*time.Minute, c.IdleTimeout)
	require.Equal(t, 10*time.Second, c.HandshakeTimeout)
	require.Equal(t, 64, c.MaxPendingItems)
	s, err := fwsim.New(c)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	hs := s.HTTPServer()
	require.Equal(t, c.HandshakeTimeout, hs.ReadHeaderTimeout)
	require.Equal(t, c.IdleTimeout, hs.IdleTimeout)
	require.NotNil(t, hs.Handler)
}

// readUntilErr reads frames until an error; it fails the test if that takes longer than limit.
func readUntilErr(t *testing.T, ws *websocket.Conn, limit time.Duration) error {
	t.Helper()
	start := time.Now()
	require.NoError(t, ws.SetReadDeadline(start.Add(limit)))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server did not close within %v", limit)
			return err
		}
	}
}

func TestIdleTimeoutClosesIdleConnections(t *testing.T) {
	t.Parallel()
	const idle = 200 * time.Millisecond
	ts := startServer(t, func(c *fwsim.Config) { c.IdleTimeout = idle })
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			ws := dial(t, ts.ws(d.path))
			start := time.Now()
			err := readUntilErr(t, ws, 5*time.Second)
			require.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), "got %v", err)
			require.Contains(t, err.Error(), "idle timeout")
			require.GreaterOrEqual(t, time.Since(start), idle-20*time.Millisecond)
		})
	}
	require.Eventually(t, func() bool {
		tr := getTruth(t, ts)
		return tr.Connections.IdleClosed == uint64(len(drivers)) && tr.Connections.Active == 0
	}, 5*time.Second, 10*time.Millisecond)
}

// A connection mid-frame (a slowloris on the WebSocket: the header of a 100-byte frame and 10
// bytes of it) is idle too.
func TestIdleTimeoutClosesPartialFrame(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.IdleTimeout = 200 * time.Millisecond })
	ws := dial(t, ts.ws("/api/chat"))
	// FIN text frame, masked, 100 bytes announced; 10 sent.
	partial := append([]byte{0x81, 0x80 | 100, 1, 2, 3, 4}, make([]byte, 10)...)
	_, err := ws.NetConn().Write(partial)
	require.NoError(t, err)
	err = readUntilErr(t, ws, 5*time.Second)
	require.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), "got %v", err)
	require.Eventually(t, func() bool { return ts.Truth().Connections.IdleClosed == 1 }, 5*time.Second, 10*time.Millisecond)
}

// The idle timeout never cuts a turn in progress, and client frames keep a connection alive.
func TestIdleTimeoutSparesActiveConnections(t *testing.T) {
	t.Parallel()
	const idle = 300 * time.Millisecond
	ts := startServer(t, func(c *fwsim.Config) {
		c.IdleTimeout = idle
		c.Tokens = 8
		c.ITL = 100 * time.Millisecond // a turn lasts ~800ms, longer than the idle timeout
	})
	ws := dial(t, ts.ws("/api/chat"))
	start := time.Now()
	r := runTurn(t, ws, drivers[0], "long")
	require.NoError(t, r.readErr)
	require.Equal(t, kDone, r.end)
	require.Equal(t, 8, r.tokens)
	require.Greater(t, time.Since(start), idle)
	// Invalid messages every 100ms (each answered at once) are client activity.
	for range 8 {
		time.Sleep(idle / 3)
		send(t, ws, `{"type":"chat"}`)
		require.Equal(t, "error", readJSON(t, ws)["type"])
	}
	require.Zero(t, ts.Truth().Connections.IdleClosed)
	require.EqualValues(t, 1, ts.Truth().Connections.Active)
}

// A slowloris handshake (request headers never finished) is dropped after HandshakeTimeout.
func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.HandshakeTimeout = 200 * time.Millisecond })
	conn, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", ts.addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = io.WriteString(conn, "GET /api/chat HTTP/1.1\r\nHost: "+ts.addr+"\r\nUpgrade: websocket\r\n")
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(start.Add(5*time.Second)))
	_, err = io.Copy(io.Discard, conn) // returns when the server closes
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server kept a half-sent request open: %v", err)
}

// realtimeItem is a conversation.item.create event.
func realtimeItem(text string) string {
	//nolint:errchkjson // a literal map of strings and slices: Marshal cannot fail
	b, _ := json.Marshal(map[string]any{"type": "conversation.item.create", "item": map[string]any{
		"type": "message", "role": "user", "content": []any{map[string]any{"type": "input_text", "text": text}},
	}})
	return string(b)
}

// realtimeReply sends ev and returns the reply's text (deltas) once response.done arrives.
func realtimeReply(t *testing.T, ws *websocket.Conn, ev string) string {
	t.Helper()
	send(t, ws, ev)
	var text strings.Builder
	for {
		m := readJSON(t, ws)
		switch m["type"] {
		case "response.output_text.delta":
			text.WriteString(m["delta"].(string))
		case "response.done":
			require.Equal(t, "completed", m["response"].(map[string]any)["status"])
			return text.String()
		case "error":
			t.Fatalf("error event: %v", m)
		}
	}
}

func TestRealtimePendingItemsCapped(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.MaxPendingItems = 3; c.ReadLimit = 1024 })
	ws := dial(t, ts.ws("/v1/realtime"))
	require.Equal(t, "session.created", readJSON(t, ws)["type"])
	for i := range 6 {
		send(t, ws, realtimeItem("item"+strconv.Itoa(i)))
		m := readJSON(t, ws)
		if i < 3 {
			require.Equal(t, "conversation.item.created", m["type"], "item %d", i)
			continue
		}
		require.Equal(t, "error", m["type"], "item %d beyond the cap", i)
		e := m["error"].(map[string]any)
		require.Equal(t, "invalid_request_error", e["type"])
		require.Contains(t, e["message"], "at most 3")
	}
	// The dropped items are not part of the prompt: the reply is the one for the first three.
	got := realtimeReply(t, ws, `{"type":"response.create"}`)
	want := realtimeReply(t, ws, `{"type":"response.create","response":{"instructions":"item0\nitem1\nitem2"}}`)
	require.Equal(t, want, got)
	// response.create empties the pending items: three more are accepted.
	for i := range 3 {
		send(t, ws, realtimeItem("again"+strconv.Itoa(i)))
		require.Equal(t, "conversation.item.created", readJSON(t, ws)["type"])
	}
	// The pending text is capped at ReadLimit bytes too.
	ws2 := dial(t, ts.ws("/v1/realtime"))
	require.Equal(t, "session.created", readJSON(t, ws2)["type"])
	big := strings.Repeat("x", 400)
	for i, want := range []string{"conversation.item.created", "conversation.item.created", "error"} {
		send(t, ws2, realtimeItem(big))
		require.Equal(t, want, readJSON(t, ws2)["type"], "item %d", i)
	}
	// Each refused item is a failed turn; the truth is recorded just after the error event is sent.
	require.Eventually(t, func() bool { return ts.Truth().Turns.FailedByCause["invalid_request"] == 4 },
		5*time.Second, 10*time.Millisecond)
}

// The realtime output_text.done text is streamed, not accumulated: check it on a long reply.
func TestRealtimeLongReplyText(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.Tokens = 3000; c.TokenBytes = 64; c.ITL = 0; c.TTFT = 0 })
	ws := dial(t, ts.ws("/v1/realtime"))
	require.Equal(t, "session.created", readJSON(t, ws)["type"])
	send(t, ws, `{"type":"response.create","response":{"instructions":"long \"quoted\" prompt"}}`)
	var deltas strings.Builder
	for {
		m := readJSON(t, ws)
		if m["type"] == "response.output_text.delta" {
			deltas.WriteString(m["delta"].(string))
			continue
		}
		if m["type"] == "response.output_text.done" {
			require.Len(t, m["text"], 3000*64)
			require.Equal(t, deltas.String(), m["text"])
			break
		}
	}
	require.Equal(t, "response.done", readJSON(t, ws)["type"])
}

// The unified framing answers on the real server's path and on the old one; both count under
// /ws/unified-chat.
func TestUnifiedPaths(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	d := drivers[1]
	require.Equal(t, "/ws/unified-chat", d.path)
	for _, p := range []string{"/ws/unified-chat", "/api/chat/unified"} {
		ws := dial(t, ts.ws(p))
		r := runTurn(t, ws, d, "hi")
		require.NoError(t, r.readErr, p)
		require.Equal(t, kDone, r.end, p)
		require.Equal(t, 5, r.tokens, p)
	}
	// The server counts a turn completed after writing its end frame, so the client may read the
	// frame before the count moves.
	require.Eventually(t, func() bool {
		return getTruth(t, ts).ByPath["/ws/unified-chat"] == fwsim.TruthPath{Started: 2, Completed: 2}
	}, 10*time.Second, 10*time.Millisecond, "both turns counted under /ws/unified-chat")
	tr := getTruth(t, ts)
	require.NotContains(t, tr.ByPath, "/api/chat/unified")
	require.Len(t, tr.ByPath, 5)

	resp, err := httpGet(t, ts.http("/"))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	require.Contains(t, string(body), "/ws/unified-chat")
}
