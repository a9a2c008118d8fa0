package chatws_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// simServer is a small streaming-chat backend for these tests, speaking every built-in framing the
// way the real backends do (fwsim, its own module, serves the same paths), on the same paths:
//
//	/api/chat          Featherweight orchestrator: stream_event token ... complete; error, complete
//	/api/chat/unified  Featherweight unified: chunk ... end; an error alone (no end follows it)
//	/v1/chat/stream    OpenAI chunks: role chunk, content chunks, finish_reason, usage, [DONE]; error, [DONE]
//	/v1/realtime       OpenAI Realtime: session.created; response.created, deltas, done events
//	/ws/text           plain text frames, then [END]; "[ERROR] msg", [END]
//
// Each turn streams cfg.tokens tokens (cfg.ttft before the first, cfg.itl between them) and
// injects the configured faults; the server counts its turns like fwsim's Truth.
type simServer struct {
	URL   string // ws://127.0.0.1:port
	cfg   simConfig
	turns simTurns

	up    websocket.Upgrader
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
}

// simConfig is the reply and the faults of every turn.
type simConfig struct {
	tokens       int
	ttft, itl    time.Duration
	errorFrame   bool          // end each turn with the framing's error frame after tokens/2
	malformed    bool          // send one truncated (invalid) frame after tokens/2, then go on
	cut          bool          // close the TCP connection (no close frame) after tokens/2
	stall        time.Duration // pause after the first token
	rejectStatus int           // answer every upgrade with this HTTP status
}

// simTurns counts turns by outcome: completed after the terminal frame was written, failed on an
// injected error frame or cut, aborted when a write failed or the client went away.
type simTurns struct {
	started, completed, failed, aborted atomic.Int64
}

const simErrorMsg = "injected failure"

// startSim serves simServer on loopback; at cleanup it closes every socket and waits for them.
func startSim(t *testing.T, mutate func(*simConfig)) *simServer {
	t.Helper()
	s := &simServer{
		cfg:   simConfig{tokens: 6, ttft: 5 * time.Millisecond, itl: 2 * time.Millisecond},
		up:    websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		conns: map[*websocket.Conn]struct{}{},
	}
	if mutate != nil {
		mutate(&s.cfg)
	}
	mux := http.NewServeMux()
	for path, f := range simFramings {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, f) })
	}
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		s.mu.Lock()
		for ws := range s.conns {
			_ = ws.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
		hs.Close()
	})
	s.URL = "ws" + strings.TrimPrefix(hs.URL, "http")
	return s
}

func (s *simServer) serve(w http.ResponseWriter, r *http.Request, f simFraming) {
	if s.cfg.rejectStatus != 0 {
		http.Error(w, "sim: injected rejection", s.cfg.rejectStatus)
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.conns[ws] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, ws)
		s.mu.Unlock()
		_ = ws.Close()
	}()

	// The reader parses client frames; the writer (this goroutine) is the socket's only writer.
	type request struct {
		id, reply string
		turn      bool
	}
	reqs, done, quit := make(chan request, 4), make(chan struct{}), make(chan struct{})
	defer func() { close(quit); _ = ws.Close(); <-done }()
	go func() {
		defer close(done)
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var req request
			req.id, req.reply, req.turn = f.request(msg)
			select {
			case reqs <- req:
			case <-quit:
				return
			}
		}
	}()
	st := &simStream{ws: ws, done: done}
	if f.open != "" && !st.send(f.open) {
		return
	}
	for {
		select {
		case <-done:
			return
		case req := <-reqs:
			if req.reply != "" && !st.send(req.reply) {
				return
			}
			if req.turn && !s.turn(st, f, req.id) {
				return
			}
		}
	}
}

// turn streams one reply; false means the connection is finished.
func (s *simServer) turn(st *simStream, f simFraming, id string) bool {
	s.turns.started.Add(1)
	ok, outcome := s.stream(st, f, id)
	outcome.Add(1)
	return ok
}

// stream writes one turn's frames and returns whether the connection goes on and the counter of
// the turn's outcome.
func (s *simServer) stream(st *simStream, f simFraming, id string) (bool, *atomic.Int64) {
	c, k := &s.cfg, &s.turns
	if f.begin != nil && !st.send(f.begin(id)) {
		return false, &k.aborted
	}
	faultAt := c.tokens / 2
	var text strings.Builder
	for i := range c.tokens {
		d := c.itl
		if i == 0 {
			d = c.ttft
		}
		if !st.wait(d) {
			return false, &k.aborted
		}
		if i == faultAt {
			switch {
			case c.cut:
				_ = st.ws.NetConn().Close() // no close frame: the client sees 1006
				return false, &k.failed
			case c.errorFrame:
				for _, fr := range f.fail(id) {
					if !st.send(fr) {
						return false, &k.aborted
					}
				}
				return true, &k.failed
			case c.malformed:
				mt, fr := f.malformed(id)
				if st.ws.WriteMessage(mt, fr) != nil {
					return false, &k.aborted
				}
			}
		}
		tok := simWords[i%len(simWords)] + " "
		text.WriteString(tok)
		if !st.send(f.token(id, tok)) {
			return false, &k.aborted
		}
		if i == 0 && c.stall > 0 && !st.wait(c.stall) {
			return false, &k.aborted
		}
	}
	for _, fr := range f.end(id, c.tokens, text.String()) {
		if !st.send(fr) {
			return false, &k.aborted
		}
	}
	return true, &k.completed
}

var simWords = []string{"the", "loop", "runs", "at", "one", "hundred", "hertz"}

// simStream is the writer's side of one connection.
type simStream struct {
	ws   *websocket.Conn
	done <-chan struct{}
}

func (st *simStream) send(frame string) bool {
	return st.ws.WriteMessage(websocket.TextMessage, []byte(frame)) == nil
}

// wait sleeps d; false if the client went away meanwhile.
func (st *simStream) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-st.done:
		return false
	}
}

// simFraming is one wire protocol of simServer.
type simFraming struct {
	open      string                                         // sent when the socket opens
	request   func(msg []byte) (id, reply string, turn bool) // a client frame: its turn id, an immediate reply, whether it starts a turn
	begin     func(id string) string                         // before the first token
	token     func(id, text string) string
	end       func(id string, tokens int, text string) []string
	fail      func(id string) []string
	malformed func(id string) (int, []byte)
}

// js quotes s as a JSON string.
func js(s string) string {
	b, _ := json.Marshal(s) //nolint:errchkjson // marshalling a string cannot fail
	return string(b)
}

// truncated is the first half of a JSON frame: invalid JSON that looks like the real thing.
func truncated(frame string) (int, []byte) {
	return websocket.TextMessage, []byte(frame[:len(frame)/2])
}

// everyFrame starts a turn on every client frame.
func everyFrame([]byte) (string, string, bool) { return "", "", true }

func ts() string { return js(time.Now().UTC().Format(time.RFC3339Nano)) }

var simFramings = map[string]simFraming{
	"/api/chat": {
		request: func(msg []byte) (string, string, bool) {
			var m struct{ Type, Content, MessageID string }
			if json.Unmarshal(msg, &m) != nil || m.Type != "user_message" || m.Content == "" {
				return "", `{"type":"error","content":"invalid user_message"}`, false
			}
			return m.MessageID, "", true
		},
		token: func(id, text string) string {
			return `{"type":"stream_event","event":{"type":"token","data":` + js(text) + `,"messageId":` + js(id) + `},"timestamp":` + ts() + `}`
		},
		end: func(id string, _ int, _ string) []string {
			return []string{`{"type":"stream_event","event":{"type":"complete","data":"","messageId":` + js(id) + `},"timestamp":` + ts() + `}`}
		},
		fail: func(id string) []string {
			return []string{ // an upstream failure: the error, then the complete frame, both with the turn's messageId
				`{"type":"error","content":"` + simErrorMsg + `","messageId":` + js(id) + `}`,
				`{"type":"stream_event","event":{"type":"complete","data":"","messageId":` + js(id) + `},"timestamp":` + ts() + `}`,
			}
		},
		malformed: func(id string) (int, []byte) {
			return truncated(`{"type":"stream_event","event":{"type":"token","data":"malformed","messageId":` + js(id) + `}}`)
		},
	},
	"/api/chat/unified": {
		request: everyFrame,
		token:   func(_, text string) string { return `{"type":"chunk","content":` + js(text) + `}` },
		end:     func(string, int, string) []string { return []string{`{"type":"end"}`} },
		fail: func(string) []string {
			return []string{`{"type":"error","message":"` + simErrorMsg + `"}`} // the real server sends no end after an error
		},
		malformed: func(string) (int, []byte) {
			return truncated(`{"type":"chunk","content":"malformed"}`)
		},
	},
	"/v1/chat/stream": {
		request: everyFrame,
		begin: func(string) string {
			return `{"id":"chatcmpl-sim","object":"chat.completion.chunk","model":"sim","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}`
		},
		token: func(_, text string) string {
			return `{"id":"chatcmpl-sim","object":"chat.completion.chunk","model":"sim","choices":[{"index":0,"delta":{"content":` + js(text) + `},"finish_reason":null}]}`
		},
		end: func(_ string, n int, _ string) []string {
			return []string{
				`{"id":"chatcmpl-sim","object":"chat.completion.chunk","model":"sim","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
				`{"id":"chatcmpl-sim","object":"chat.completion.chunk","model":"sim","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":` +
					strconv.Itoa(n) + `,"total_tokens":` + strconv.Itoa(n+3) + `}}`,
				`[DONE]`,
			}
		},
		fail: func(string) []string {
			return []string{`{"error":{"message":"` + simErrorMsg + `","type":"server_error","code":"sim_injected_error"}}`, `[DONE]`}
		},
		malformed: func(string) (int, []byte) {
			return truncated(`{"id":"chatcmpl-sim","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"malformed"},"finish_reason":null}]}`)
		},
	},
	"/v1/realtime": {
		open: `{"type":"session.created","event_id":"evt_sim_0","session":{"id":"sess_sim","object":"realtime.session","modalities":["text"]}}`,
		request: func(msg []byte) (string, string, bool) {
			var ev struct{ Type string }
			_ = json.Unmarshal(msg, &ev)
			switch ev.Type {
			case "response.create":
				return "resp_sim", "", true
			case "conversation.item.create":
				return "", `{"type":"conversation.item.created","event_id":"evt_sim_1","item":{"id":"item_sim","type":"message","role":"user"}}`, false
			default:
				return "", `{"type":"error","error":{"type":"invalid_request_error","message":"unsupported event"}}`, false
			}
		},
		begin: func(id string) string {
			return `{"type":"response.created","response":{"id":` + js(id) + `,"object":"realtime.response","status":"in_progress","output":[]}}`
		},
		token: func(id, text string) string {
			return `{"type":"response.output_text.delta","response_id":` + js(id) + `,"output_index":0,"content_index":0,"delta":` + js(text) + `}`
		},
		end: func(id string, n int, text string) []string {
			return []string{
				`{"type":"response.output_text.done","response_id":` + js(id) + `,"text":` + js(text) + `}`,
				realtimeDone(id, "completed", n),
			}
		},
		fail: func(id string) []string {
			return []string{
				`{"type":"error","error":{"type":"server_error","code":"sim_injected_error","message":"` + simErrorMsg + `"}}`,
				realtimeDone(id, "failed", 0),
			}
		},
		malformed: func(id string) (int, []byte) {
			return truncated(`{"type":"response.output_text.delta","response_id":` + js(id) + `,"delta":"malformed"}`)
		},
	},
	"/ws/text": {
		request:   everyFrame,
		token:     func(_, text string) string { return text },
		end:       func(string, int, string) []string { return []string{"[END]"} },
		fail:      func(string) []string { return []string{"[ERROR] " + simErrorMsg, "[END]"} },
		malformed: func(string) (int, []byte) { return websocket.BinaryMessage, []byte{0xff, 0xfe, 0xfd} },
	},
}

func realtimeDone(id, status string, n int) string {
	return `{"type":"response.done","response":{"id":` + js(id) + `,"object":"realtime.response","status":"` + status +
		`","usage":{"total_tokens":` + strconv.Itoa(n+3) + `,"input_tokens":3,"output_tokens":` + strconv.Itoa(n) + `}}}`
}
