package chatws

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/failure"
)

// wsServer starts a loopback WebSocket server running handle for each connection.
func wsServer(t testing.TB, handle func(ws *websocket.Conn)) string {
	t.Helper()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = ws.Close() }() // the handler is done; the client sees the close either way
		handle(ws)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// silentServer reads the prompt and never answers; its handlers return when the test ends.
func silentServer(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	url := wsServer(t, func(ws *websocket.Conn) {
		readPrompt(ws)
		<-release
	})
	t.Cleanup(func() { close(release) })
	return url
}

// readPrompt reads a featherweight user_message and returns its messageId ("" on error).
func readPrompt(ws *websocket.Conn) (string, bool) {
	_, b, err := ws.ReadMessage()
	if err != nil {
		return "", false
	}
	var m struct{ Type, MessageID string }
	_ = json.Unmarshal(b, &m)
	return m.MessageID, true
}

func tokenFrame(id, text string) []byte {
	type event struct { // fields in the order the map it replaces marshalled them
		Data      string `json:"data"`
		MessageID string `json:"messageId"`
		Type      string `json:"type"`
	}
	b, _ := json.Marshal(struct { //nolint:errchkjson // a struct of strings always marshals
		Event event  `json:"event"`
		Type  string `json:"type"`
	}{event{text, id, "token"}, "stream_event"})
	return b
}

var completeFrame = []byte(`{"type":"stream_event","event":{"type":"complete","data":""}}`)

// stream replies with tokens (gap between them) and a complete frame, for every turn.
func stream(tokens []string, gap time.Duration) func(ws *websocket.Conn) {
	return func(ws *websocket.Conn) {
		for {
			id, ok := readPrompt(ws)
			if !ok {
				return
			}
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"status","content":"thinking"}`))
			for i, tok := range tokens {
				if i > 0 {
					time.Sleep(gap)
				}
				_ = ws.WriteMessage(websocket.TextMessage, tokenFrame("other", "noise"))
				_ = ws.WriteMessage(websocket.TextMessage, tokenFrame(id, tok))
			}
			_ = ws.WriteMessage(websocket.TextMessage, completeFrame)
		}
	}
}

func dial(t *testing.T, url string, o Options) *Conn {
	t.Helper()
	c, info, err := Dial(context.Background(), url, o)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, info.Status)
	require.Equal(t, "127.0.0.1", info.RemoteIP)
	require.Positive(t, info.Connecting)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// A turn's result holds what the server sent (its tokens and text, one gap per pair of tokens)
// and timings in their necessary order: TTFT, then the gaps, within the duration. How long the
// timings are is this machine's business, not the test's.
func TestTurnSuccess(t *testing.T) {
	t.Parallel()
	url := wsServer(t, stream([]string{"Hel", "lo", " world"}, 5*time.Millisecond))
	c := dial(t, url, Options{KeepTextBytes: 7})
	ids := map[string]bool{}
	for range 2 {
		res := c.Turn(context.Background(), "hi", TurnOptions{})
		require.True(t, res.OK, "%v", res.Err)
		require.Nil(t, res.Err)
		require.Equal(t, 3, res.Chunks, "the other turn's tokens and the status frame are not counted")
		require.Equal(t, 3, res.Tokens)
		require.Equal(t, TokensFrames, res.TokensSource)
		require.Equal(t, "Hello w", res.Text)
		require.NotEmpty(t, res.MessageID)
		require.False(t, ids[res.MessageID], "each turn has its own messageId")
		ids[res.MessageID] = true

		require.True(t, res.HasTTFT)
		require.GreaterOrEqual(t, res.TTFT, time.Duration(0))
		require.Len(t, res.ITLs, 2)
		var gaps time.Duration
		for _, itl := range res.ITLs {
			require.GreaterOrEqual(t, itl, time.Duration(0))
			gaps += itl
		}
		require.LessOrEqual(t, res.TTFT+gaps, res.Duration, "first token, then the gaps, then the terminal frame")
		require.Equal(t, 2, res.ITL.Count)
		require.Equal(t, min(res.ITLs[0], res.ITLs[1]), res.ITL.Min)
		require.Equal(t, max(res.ITLs[0], res.ITLs[1]), res.ITL.Max)
		require.True(t, res.HasTPOT)
		require.Equal(t, (res.Duration-res.TTFT)/2, res.TPOT)
	}
}

func TestTurnErrorKinds(t *testing.T) {
	t.Parallel()
	short := Timeouts{FirstToken: 150 * time.Millisecond, Idle: 150 * time.Millisecond, Total: 2 * time.Second}
	cases := []struct {
		name     string
		handle   func(ws *websocket.Conn)
		opts     Options
		kind     failure.Kind
		code     int
		tokens   int
		contains string
	}{
		{"01 server_error", func(ws *websocket.Conn) {
			id, _ := readPrompt(ws)
			_ = ws.WriteMessage(websocket.TextMessage, tokenFrame(id, "a"))
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"error","content":"overloaded","messageId":"`+id+`"}`))
			_, _, _ = ws.ReadMessage()
		}, Options{}, failure.KindServerError, 0, 1, "overloaded"},
		{"02 protocol bad json", func(ws *websocket.Conn) {
			readPrompt(ws)
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`not json`))
			_, _, _ = ws.ReadMessage()
		}, Options{}, failure.KindProtocol, 0, 0, "undecodable"},
		{"03 protocol oversize", func(ws *websocket.Conn) {
			readPrompt(ws)
			_ = ws.WriteMessage(websocket.TextMessage, tokenFrame("x", strings.Repeat("a", 4096)))
			_, _, _ = ws.ReadMessage()
		}, Options{MaxFrameBytes: 1024}, failure.KindProtocol, 0, 0, "maxFrameBytes"},
		{"04 timeout_first_token", func(ws *websocket.Conn) {
			readPrompt(ws)
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`))
			_, _, _ = ws.ReadMessage()
		}, Options{Timeouts: short}, failure.KindTimeoutFirstToken, 0, 0, ""},
		{"05 timeout_idle", func(ws *websocket.Conn) {
			id, _ := readPrompt(ws)
			_ = ws.WriteMessage(websocket.TextMessage, tokenFrame(id, "a"))
			_, _, _ = ws.ReadMessage()
		}, Options{Timeouts: short}, failure.KindTimeoutIdle, 0, 1, ""},
		{"06 timeout_total", func(ws *websocket.Conn) {
			id, _ := readPrompt(ws)
			for range 100 {
				if ws.WriteMessage(websocket.TextMessage, tokenFrame(id, "a")) != nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}, Options{Timeouts: Timeouts{Total: 200 * time.Millisecond}}, failure.KindTimeoutTotal, 0, -1, ""},
		{"07 closed with code", func(ws *websocket.Conn) {
			id, _ := readPrompt(ws)
			_ = ws.WriteMessage(websocket.TextMessage, tokenFrame(id, "a"))
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "bye"), time.Now().Add(time.Second))
			_, _, _ = ws.ReadMessage()
		}, Options{}, failure.KindClosed, websocket.CloseTryAgainLater, 1, ""},
		{"08 closed abnormal", func(ws *websocket.Conn) {
			id, _ := readPrompt(ws)
			_ = ws.WriteMessage(websocket.TextMessage, tokenFrame(id, "a"))
			_ = ws.NetConn().Close()
		}, Options{}, failure.KindClosed, websocket.CloseAbnormalClosure, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, wsServer(t, tc.handle), tc.opts)
			res := c.Turn(context.Background(), "hi", TurnOptions{})
			require.False(t, res.OK)
			require.NotNil(t, res.Err)
			require.Equal(t, tc.kind, res.Err.Kind, "%v", res.Err)
			require.Equal(t, tc.code, res.CloseCode)
			if tc.tokens >= 0 {
				require.Equal(t, tc.tokens, res.Tokens)
			}
			require.Contains(t, res.Err.Error(), tc.contains) // the kind says which frame or deadline ended it
		})
	}
}

func TestTurnCanceled(t *testing.T) {
	t.Parallel()
	url := silentServer(t)
	c := dial(t, url, Options{})
	require.True(t, c.Usable())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := c.Turn(ctx, "hi", TurnOptions{})
	require.Equal(t, failure.KindCanceled, res.Err.Kind, "the cancel ended the turn, not its first-token timeout")

	// the connection is unusable afterwards, and says so
	require.False(t, c.Usable())
	res = c.Turn(context.Background(), "again", TurnOptions{})
	require.Equal(t, failure.KindClosed, res.Err.Kind)

	// already-cancelled context
	res = c.Turn(ctx, "x", TurnOptions{})
	require.Equal(t, failure.KindCanceled, res.Err.Kind)
}

func TestCloseDuringTurn(t *testing.T) {
	t.Parallel()
	url := silentServer(t)
	c := dial(t, url, Options{})
	time.AfterFunc(100*time.Millisecond, func() { _ = c.Close() })
	res := c.Turn(context.Background(), "hi", TurnOptions{})
	require.Equal(t, failure.KindClosed, res.Err.Kind)
	require.False(t, c.Usable())
	require.NoError(t, c.Close())
}

func TestServerErrorKeepsConnection(t *testing.T) {
	t.Parallel()
	n := 0
	url := wsServer(t, func(ws *websocket.Conn) {
		for {
			id, ok := readPrompt(ws)
			if !ok {
				return
			}
			n++
			if n == 1 {
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"error","content":"nope"}`))
				continue
			}
			_ = ws.WriteMessage(websocket.TextMessage, tokenFrame(id, "ok"))
			_ = ws.WriteMessage(websocket.TextMessage, completeFrame)
		}
	})
	c := dial(t, url, Options{})
	require.Equal(t, failure.KindServerError, c.Turn(context.Background(), "1", TurnOptions{}).Err.Kind)
	res := c.Turn(context.Background(), "2", TurnOptions{})
	require.True(t, res.OK)
	require.Equal(t, 1, res.Tokens)
	require.False(t, res.HasTPOT)
	require.Empty(t, res.ITLs)
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	// connect: nothing listens
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	_, _, err = Dial(context.Background(), "ws://"+addr+"/api/chat", Options{})
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, failure.KindConnect, e.Kind)

	// handshake: HTTP 403
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer srv.Close()
	_, info, err := Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), Options{})
	require.ErrorAs(t, err, &e)
	require.Equal(t, failure.KindHandshake, e.Kind)
	require.Equal(t, http.StatusForbidden, info.Status)

	// connect timeout: a listener that never answers the upgrade
	l, err = (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = l.Close() }() // only unblocks Accept; the test has its result
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err == nil {
			<-time.After(time.Second)
			_ = c.Close()
		}
	}()
	_, _, err = Dial(context.Background(), "ws://"+l.Addr().String()+"/", Options{Timeouts: Timeouts{Connect: 100 * time.Millisecond}})
	require.ErrorAs(t, err, &e)
	require.Equal(t, failure.KindConnect, e.Kind)
	require.Contains(t, e.Error(), "timeout")
	<-done

	// canceled
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = Dial(ctx, "ws://"+addr+"/", Options{})
	require.ErrorAs(t, err, &e)
	require.Equal(t, failure.KindCanceled, e.Kind)

	// bad protocol options
	_, _, err = Dial(context.Background(), "ws://"+addr+"/", Options{Protocol: Protocol{Name: "nope"}})
	require.ErrorAs(t, err, &e)
	require.Equal(t, failure.KindProtocol, e.Kind)
}

func TestOpenAIAndRealtimeOverSocket(t *testing.T) {
	t.Parallel()
	oa := wsServer(t, func(ws *websocket.Conn) {
		_, _, _ = ws.ReadMessage()
		for _, f := range []string{
			`{"choices":[{"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"choices":[{"delta":{"content":"a"},"finish_reason":null}]}`,
			`{"choices":[{"delta":{"content":"b"},"finish_reason":"stop"}]}`,
			`{"choices":[],"usage":{"completion_tokens":5}}`,
			`[DONE]`,
		} {
			_ = ws.WriteMessage(websocket.TextMessage, []byte(f))
		}
		_, _, _ = ws.ReadMessage()
	})
	c := dial(t, oa, Options{Protocol: Protocol{Name: ProtoOpenAI}, KeepTextBytes: 100})
	res := c.Turn(context.Background(), "hi", TurnOptions{})
	require.True(t, res.OK, "%v", res.Err)
	require.Equal(t, 2, res.Chunks)
	require.Equal(t, 5, res.Tokens)
	require.Equal(t, TokensUsage, res.TokensSource)
	require.Equal(t, "ab", res.Text)

	rt := wsServer(t, func(ws *websocket.Conn) {
		_, _, _ = ws.ReadMessage()
		_, _, _ = ws.ReadMessage()
		for _, f := range []string{
			`{"type":"response.created"}`,
			`{"type":"response.output_text.delta","delta":"x"}`,
			`{"type":"response.done","response":{"status":"completed","usage":{"output_tokens":1}}}`,
		} {
			_ = ws.WriteMessage(websocket.TextMessage, []byte(f))
		}
		_, _, _ = ws.ReadMessage()
	})
	c = dial(t, rt, Options{Protocol: Protocol{Name: ProtoOpenAIRealtime}})
	res = c.Turn(context.Background(), "hi", TurnOptions{})
	require.True(t, res.OK, "%v", res.Err)
	require.Equal(t, 1, res.Tokens)
}

// Connections that share a WriteBufferPool and read through a small gorilla buffer still carry
// whole turns, with tokens larger than that buffer.
func TestSharedWriteBufferPoolAndSmallReadBuffer(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 3000) // a token frame larger than the 1 KiB read buffer
	url := wsServer(t, stream([]string{big, "y"}, 0))
	var pool sync.Pool
	for range 3 {
		c := dial(t, url, Options{KeepTextBytes: 4096, WriteBufferPool: &pool, ReadBufferSize: 256})
		res := c.Turn(context.Background(), strings.Repeat("p", 5000), TurnOptions{})
		require.True(t, res.OK, "%v", res.Err)
		require.Equal(t, 2, res.Tokens)
		require.Equal(t, big+"y", res.Text)
	}
}
