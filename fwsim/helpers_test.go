package fwsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
	"github.com/featherweight/xk6-featherweight/fwsim/internal/fwsimtest"
)

// httpGet GETs url with the test's context.
func httpGet(t *testing.T, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// closeQuietly closes c from a defer, once the test has read what it asserts on.
func closeQuietly(c io.Closer) { _ = c.Close() }

// testConfig is a fast configuration: 5 tokens, 1 ms delays, no jitter, fixed seed.
func testConfig() fwsim.Config {
	cfg := fwsim.DefaultConfig()
	cfg.Tokens = 5
	cfg.TTFT = time.Millisecond
	cfg.ITL = time.Millisecond
	cfg.Jitter = 0
	cfg.Seed = 42
	cfg.HzWindow = 500 * time.Millisecond
	return cfg
}

type testServer struct {
	*fwsim.Server
	addr string // host:port
}

func (ts testServer) ws(path string) string   { return "ws://" + ts.addr + path }
func (ts testServer) http(path string) string { return "http://" + ts.addr + path }

// startServer runs a Server (loop started) behind an httptest server on loopback.
func startServer(t *testing.T, mutate func(*fwsim.Config)) testServer {
	t.Helper()
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	base, s := fwsimtest.Start(t, cfg)
	return testServer{Server: s, addr: strings.TrimPrefix(base, "http://")}
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

func send(t *testing.T, ws *websocket.Conn, frame string) {
	t.Helper()
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(frame)))
}

func read(t *testing.T, ws *websocket.Conn) (int, []byte, error) {
	t.Helper()
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(10*time.Second)))
	return ws.ReadMessage()
}

func readJSON(t *testing.T, ws *websocket.Conn) map[string]any {
	t.Helper()
	_, data, err := read(t, ws)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), "frame %q", data)
	return m
}

func orchestratorMsg(content, id string) string {
	b, _ := json.Marshal( //nolint:errchkjson // a literal map of strings: Marshal cannot fail
		map[string]any{
			"type": "user_message", "content": content, "messageId": id,
			"timestamp": time.Now().UTC().Format(time.RFC3339),
		})
	return string(b)
}

func getTruth(t *testing.T, ts testServer) fwsim.Truth {
	t.Helper()
	resp, err := httpGet(t, ts.http("/debug/truth"))
	require.NoError(t, err)
	defer closeQuietly(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tr fwsim.Truth
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))
	return tr
}

// frameKind classifies a server frame for the framing-agnostic fault tests.
type frameKind int

const (
	kOther frameKind = iota
	kToken
	kDone
	kError
	kInvalid // not valid JSON (or a binary frame on /ws/text)
)

// driver speaks one framing from the client side.
type driver struct {
	name     string
	path     string
	prompt   func(p string) []string
	classify func(mt int, data []byte) (frameKind, string)
	// errorAlone: an error frame is the end of the reply (unified chat); otherwise the server
	// ends a failed reply with its terminal frame.
	errorAlone bool
}

var drivers = []driver{
	{
		name: "orchestrator", path: "/api/chat",
		prompt: func(p string) []string { return []string{orchestratorMsg(p, "id-"+p)} },
		classify: func(_ int, data []byte) (frameKind, string) {
			var m struct {
				Type  string `json:"type"`
				Event struct{ Type, Data string }
			}
			if json.Unmarshal(data, &m) != nil {
				return kInvalid, ""
			}
			switch {
			case m.Type == "error":
				return kError, ""
			case m.Type == "stream_event" && m.Event.Type == "token":
				return kToken, m.Event.Data
			case m.Type == "stream_event" && m.Event.Type == "complete":
				return kDone, ""
			}
			return kOther, ""
		},
	},
	{
		name: "unified", path: "/ws/unified-chat", errorAlone: true,
		prompt: func(p string) []string { return []string{`{"message":"` + p + `"}`} },
		classify: func(_ int, data []byte) (frameKind, string) {
			var m struct{ Type, Content string }
			if json.Unmarshal(data, &m) != nil {
				return kInvalid, ""
			}
			switch m.Type {
			case "chunk":
				return kToken, m.Content
			case "end":
				return kDone, ""
			case "error":
				return kError, ""
			}
			return kOther, ""
		},
	},
	{
		name: "openai", path: "/v1/chat/stream",
		prompt: func(p string) []string {
			return []string{`{"model":"m","messages":[{"role":"user","content":"` + p + `"}],"stream":true}`}
		},
		classify: func(_ int, data []byte) (frameKind, string) {
			if string(data) == "[DONE]" {
				return kDone, ""
			}
			var m struct {
				Error   *struct{ Message string } `json:"error"`
				Choices []struct {
					Delta struct{ Content string } `json:"delta"`
				} `json:"choices"`
			}
			if json.Unmarshal(data, &m) != nil {
				return kInvalid, ""
			}
			if m.Error != nil {
				return kError, ""
			}
			if len(m.Choices) == 1 && m.Choices[0].Delta.Content != "" {
				return kToken, m.Choices[0].Delta.Content
			}
			return kOther, ""
		},
	},
	{
		name: "realtime", path: "/v1/realtime",
		prompt: func(p string) []string {
			return []string{
				`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"` + p + `"}]}}`,
				`{"type":"response.create"}`,
			}
		},
		classify: func(_ int, data []byte) (frameKind, string) {
			var m struct {
				Type     string
				Delta    string
				Response struct{ Status string }
			}
			if json.Unmarshal(data, &m) != nil {
				return kInvalid, ""
			}
			switch m.Type {
			case "response.output_text.delta":
				return kToken, m.Delta
			case "response.done": // completed, or failed after an error event
				return kDone, ""
			case "error":
				return kError, ""
			}
			return kOther, ""
		},
	},
	{
		name: "text", path: "/ws/text",
		prompt: func(p string) []string { return []string{p} },
		classify: func(mt int, data []byte) (frameKind, string) {
			switch {
			case mt == websocket.BinaryMessage:
				return kInvalid, ""
			case string(data) == "[END]":
				return kDone, ""
			case strings.HasPrefix(string(data), fwsim.TextErrorPrefix):
				return kError, ""
			}
			return kToken, string(data)
		},
	},
}

// turnResult is what a client saw in one turn.
type turnResult struct {
	end      frameKind // kDone, or kError when an error frame failed the turn; kOther when the read failed
	tokens   int
	text     string
	invalid  int
	readErr  error
	tokenAts []time.Time
}

// runTurn sends a prompt and reads until the turn's terminal frame or a read error.
func runTurn(t *testing.T, ws *websocket.Conn, d driver, prompt string) turnResult {
	t.Helper()
	for _, m := range d.prompt(prompt) {
		send(t, ws, m)
	}
	var r turnResult
	for {
		mt, data, err := read(t, ws)
		if err != nil {
			r.readErr = err
			return r
		}
		kind, tok := d.classify(mt, data)
		switch kind {
		case kToken:
			r.tokens++
			r.text += tok
			r.tokenAts = append(r.tokenAts, time.Now())
		case kInvalid:
			r.invalid++
		case kError: // a turn's failure: the reply ends here or at its terminal frame
			r.end = kind
			if d.errorAlone {
				return r
			}
		case kDone:
			if r.end != kError {
				r.end = kind
			}
			return r
		case kOther: // neither counted nor final
		}
	}
}
