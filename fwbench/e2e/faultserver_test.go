//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fault is what the fault server does after a turn's token frames.
type fault int

const (
	fDone              fault = iota // the terminal frame: the turn succeeds
	fErrThenDone                    // an error frame for the turn, then its terminal frame (OpenAI-style servers, Featherweight upstream errors)
	fErrOnly                        // an error frame and nothing more (unified chat errors, Featherweight schema errors)
	fClose                          // a close frame with step.code, then the TCP close
	fDrop                           // the TCP connection is closed without a close frame (1006)
	fMalformedThenDone              // a truncated JSON frame, then the terminal frame
	fBinaryThenDone                 // a binary frame of non-UTF-8 garbage, then the terminal frame
	fOversize                       // a token frame larger than the client's maxFrameBytes
	fStall                          // silence: the server sends nothing more until the client leaves
	fForever                        // token frames every 10 ms until the client leaves
	fKeepalive                      // frames the client must ignore, every 50 ms, until the client leaves
)

// step is the server's plan for one turn.
type step struct {
	tokens int   // token frames before the fault
	fault  fault // what follows them
	code   int   // close code for fClose
	pings  int   // pings sent before every token frame (a ping storm)
	pongs  int   // unsolicited pongs sent before every token frame
	noise  bool  // frames the client must ignore (another turn's id, keepalives) between tokens
	want   string
}

// handshake is a fault of the HTTP upgrade.
type handshake struct {
	status int  // answer the upgrade with this HTTP status (not 101)
	hang   bool // never answer
}

// serverTurn is the fault server's ground truth for one turn it started.
type serverTurn struct {
	Prompt string
	Tokens int    // token-bearing frames sent
	Text   string // the token text sent, concatenated
	Want   string // the error kind the client must report, "" for success
}

// faultServer is a WebSocket chat server that injects one planned fault per turn and records
// every turn it started. Each turn's token text is derived from its prompt, so a client turn
// built from another turn's frames is caught by comparing texts.
type faultServer struct {
	t     *testing.T
	srv   *httptest.Server
	proto string
	hs    handshake
	plan  func(turn int) step
	stop  chan struct{}

	mu       sync.Mutex
	turns    []serverTurn
	upgrades int // accepted WebSocket upgrades
	rejected int // upgrades answered with hs.status
	open     int // WebSocket connections not yet closed
}

// newFaultServer starts a fault server on 127.0.0.1:0 (TLS with a self-signed certificate of
// an unknown authority when tlsOn) speaking proto and following plan for the n-th turn of
// each connection.
func newFaultServer(t *testing.T, proto string, hs handshake, tlsOn bool, plan func(turn int) step) *faultServer {
	t.Helper()
	fs := &faultServer{t: t, proto: proto, hs: hs, plan: plan, stop: make(chan struct{})}
	if fs.plan == nil {
		fs.plan = func(int) step { return step{tokens: 5} }
	}
	fs.srv = httptest.NewUnstartedServer(http.HandlerFunc(fs.serveHTTP))
	if tlsOn {
		fs.srv.StartTLS()
	} else {
		fs.srv.Start()
	}
	t.Cleanup(func() {
		close(fs.stop)
		fs.srv.CloseClientConnections()
		fs.srv.Close()
	})
	return fs
}

// URL is the server's ws:// (or wss://) URL with path.
func (fs *faultServer) URL(path string) string {
	return "ws" + strings.TrimPrefix(fs.srv.URL, "http") + path
}

// Truth returns a copy of the turns started so far.
func (fs *faultServer) Truth() []serverTurn {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]serverTurn(nil), fs.turns...)
}

// Counts returns accepted upgrades, rejected upgrades and connections still open.
func (fs *faultServer) Counts() (upgrades, rejected, open int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.upgrades, fs.rejected, fs.open
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (fs *faultServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case fs.hs.hang:
		select { // never answer: the client gives up (its connect timeout) or the test ends
		case <-r.Context().Done():
		case <-fs.stop:
		}
		return
	case fs.hs.status != 0:
		fs.mu.Lock()
		fs.rejected++
		fs.mu.Unlock()
		http.Error(w, "no upgrade for you", fs.hs.status)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	fs.mu.Lock()
	fs.upgrades++
	fs.open++
	fs.mu.Unlock()
	defer func() {
		_ = ws.Close()
		fs.mu.Lock()
		fs.open--
		fs.mu.Unlock()
	}()
	fs.serveConn(ws)
}

// serveConn reads prompts and answers each according to the plan until the client leaves or a
// fault ends the connection.
func (fs *faultServer) serveConn(ws *websocket.Conn) {
	pending := "" // realtime: the prompt of the last conversation.item.create
	for n := 0; ; {
		mt, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		prompt, id, start := fs.parseRequest(mt, msg, &pending)
		if !start {
			continue
		}
		st := fs.plan(n)
		n++
		if !fs.answer(ws, prompt, id, st) {
			return
		}
	}
}

// parseRequest extracts the prompt and message id from a request frame; start is false for a
// frame that does not start a turn (realtime's conversation.item.create).
func (fs *faultServer) parseRequest(_ int, msg []byte, pending *string) (prompt, id string, start bool) {
	var req struct {
		Type      string `json:"type"`
		Content   string `json:"content"`
		MessageID string `json:"messageId"`
		Message   string `json:"message"`
		Messages  []struct {
			Content string `json:"content"`
		} `json:"messages"`
		Item struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"item"`
		Q  string `json:"q"`
		ID string `json:"id"`
	}
	if fs.proto != "text" {
		_ = json.Unmarshal(msg, &req)
	}
	switch fs.proto {
	case "featherweight":
		return req.Content, req.MessageID, true
	case "unified":
		return req.Message, "", true
	case "openai":
		if len(req.Messages) > 0 {
			return req.Messages[0].Content, "", true
		}
		return "", "", true
	case "realtime":
		if req.Type == "conversation.item.create" && len(req.Item.Content) > 0 {
			*pending = req.Item.Content[0].Text
			return "", "", false
		}
		return *pending, "", req.Type == "response.create"
	case "custom":
		return req.Q, req.ID, true
	default: // text
		return string(msg), "", true
	}
}

func jsonStr(s string) string {
	b, _ := json.Marshal(s) //nolint:errchkjson // marshalling a string cannot fail
	return string(b)
}

// tokenFrame is one token-bearing frame in the server's framing.
func (fs *faultServer) tokenFrame(id, text string) string {
	switch fs.proto {
	case "featherweight":
		return fmt.Sprintf(`{"type":"stream_event","event":{"type":"token","data":%s,"messageId":%s},"timestamp":"2026-01-01T00:00:00Z"}`, jsonStr(text), jsonStr(id))
	case "unified":
		return `{"type":"chunk","content":` + jsonStr(text) + `}`
	case "openai":
		return `{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":` + jsonStr(text) + `},"finish_reason":null}]}`
	case "realtime":
		return `{"type":"response.output_text.delta","delta":` + jsonStr(text) + `}`
	case "custom":
		return `{"op":"delta","text":` + jsonStr(text) + `}`
	default:
		return text
	}
}

// doneFrames are the turn's terminal frame(s) for the turn id; usage-carrying framings report n
// tokens.
func (fs *faultServer) doneFrames(id string, n int) []string {
	switch fs.proto {
	case "featherweight": // the real orchestrator's complete frame carries the turn's messageId
		return []string{`{"type":"stream_event","event":{"type":"complete","data":"","messageId":` + jsonStr(id) + `},"timestamp":"2026-01-01T00:00:00.000Z"}`}
	case "unified":
		return []string{`{"type":"end"}`}
	case "openai":
		return []string{
			`{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			fmt.Sprintf(`{"object":"chat.completion.chunk","choices":[],"usage":{"completion_tokens":%d}}`, n),
			`[DONE]`,
		}
	case "realtime":
		return []string{fmt.Sprintf(`{"type":"response.done","response":{"status":"completed","usage":{"output_tokens":%d}}}`, n)}
	case "custom":
		return []string{fmt.Sprintf(`{"op":"final","stats":{"tokens":%d}}`, n)}
	default:
		return []string{"[END]"}
	}
}

// errorFrames are an in-stream error for the turn; withTerminal adds what the framing's servers
// send after it to end the reply. Without it the error is what the real servers send alone: a
// unified chat error, a Featherweight schema error (no messageId), a rejected realtime event.
func (fs *faultServer) errorFrames(id string, withTerminal bool) []string {
	const msg = "upstream model failed"
	var f []string
	switch fs.proto {
	case "featherweight":
		if !withTerminal { // a schema error names no turn
			return []string{`{"type":"error","content":"` + msg + `"}`}
		}
		f = []string{`{"type":"error","content":"` + msg + `","messageId":` + jsonStr(id) + `}`}
	case "unified":
		f = []string{`{"type":"error","message":"` + msg + `"}`}
	case "openai":
		f = []string{`{"error":{"message":"` + msg + `","type":"server_error"}}`}
	case "realtime":
		if !withTerminal { // a rejected client event: no response.done follows
			return []string{`{"type":"error","error":{"type":"invalid_request_error","message":"` + msg + `"}}`}
		}
		return []string{
			`{"type":"error","error":{"type":"server_error","message":"` + msg + `"}}`,
			`{"type":"response.done","response":{"status":"failed"}}`,
		}
	case "custom":
		f = []string{`{"op":"fault","reason":"` + msg + `"}`}
	default:
		f = []string{"[ERROR] " + msg}
	}
	if withTerminal {
		f = append(f, fs.doneFrames(id, 0)...)
	}
	return f
}

// noiseFrames are frames the client's codec must ignore.
func (fs *faultServer) noiseFrames() []string {
	switch fs.proto {
	case "featherweight":
		return []string{
			`{"type":"stream_event","event":{"type":"token","data":"NOT YOURS","messageId":"someone-else"}}`,
			`{"type":"status","content":"thinking"}`,
		}
	case "openai":
		return []string{`{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}`, ``}
	case "realtime":
		return []string{`{"type":"response.created","response":{"status":"in_progress"}}`}
	case "custom":
		return []string{`{"op":"keepalive"}`, `{"note":"no op at all"}`}
	default:
		return nil
	}
}

// answer plays one turn; false means the connection is finished.
func (fs *faultServer) answer(ws *websocket.Conn, prompt, id string, st step) bool {
	// The turn is recorded as it starts (and its tokens as they are sent), so the ground truth is
	// complete the moment the client has seen anything of it.
	fs.mu.Lock()
	idx := len(fs.turns)
	fs.turns = append(fs.turns, serverTurn{Prompt: prompt, Want: st.want})
	fs.mu.Unlock()
	sent := 0
	write := func(s string) bool {
		_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
		return ws.WriteMessage(websocket.TextMessage, []byte(s)) == nil
	}
	control := func(mt, n int) bool {
		for range n {
			if ws.WriteControl(mt, []byte("storm"), time.Now().Add(5*time.Second)) != nil {
				return false
			}
		}
		return true
	}
	sendToken := func(i int) bool {
		if !control(websocket.PingMessage, st.pings) || !control(websocket.PongMessage, st.pongs) {
			return false
		}
		if st.noise {
			for _, f := range fs.noiseFrames() {
				if !write(f) {
					return false
				}
			}
		}
		text := fmt.Sprintf("%s.%d ", prompt, i)
		fs.mu.Lock() // counted before the write: a token on the wire is always in the truth
		fs.turns[idx].Tokens++
		fs.turns[idx].Text += text
		fs.mu.Unlock()
		if !write(fs.tokenFrame(id, text)) {
			return false
		}
		sent++
		return true
	}
	for i := range st.tokens {
		if !sendToken(i) {
			return false
		}
	}
	writeAll := func(frames []string) bool {
		for _, f := range frames {
			if !write(f) {
				return false
			}
		}
		return true
	}
	switch st.fault {
	case fDone:
		return writeAll(fs.doneFrames(id, sent))
	case fErrThenDone:
		return writeAll(fs.errorFrames(id, true))
	case fErrOnly:
		return writeAll(fs.errorFrames(id, false))
	case fClose:
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(st.code, "fault"), time.Now().Add(time.Second))
		return false
	case fDrop:
		_ = ws.NetConn().Close()
		return false
	case fMalformedThenDone:
		return write(`{"type":"stream_event","event":{"type":"token","data":"cut`) && writeAll(fs.doneFrames(id, sent))
	case fBinaryThenDone:
		_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if ws.WriteMessage(websocket.BinaryMessage, []byte{0xff, 0xfe, 0x00, 0x01, '{'}) != nil {
			return false
		}
		return writeAll(fs.doneFrames(id, sent))
	case fOversize:
		return write(fs.tokenFrame(id, strings.Repeat("x", 64<<10)))
	case fStall:
		return true // nothing more; the next read sees the client's next prompt or its close
	case fKeepalive:
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for range 600 { // 30 s at most
			select {
			case <-fs.stop:
				return false
			case <-tick.C:
			}
			for _, f := range fs.noiseFrames() {
				if !write(f) {
					return false
				}
			}
		}
		return false
	case fForever:
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := st.tokens; i < st.tokens+3000; i++ { // 30 s at most
			select {
			case <-fs.stop:
				return false
			case <-tick.C:
			}
			if !sendToken(i) {
				return false
			}
		}
		return false
	}
	return true
}

// refusedURL is a ws:// URL on a loopback port that was just closed: the dial is refused.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "ws://" + addr + "/api/chat"
}

// hzServer serves /metrics and /healthz from per-row handlers, counting requests. The n passed
// to a handler is the 0-based index of that path's request.
type hzServer struct {
	srv *httptest.Server

	mu   sync.Mutex
	hits map[string]int
	ua   map[string]bool // User-Agent headers seen
}

// hzHandler answers the n-th request to its path.
type hzHandler func(w http.ResponseWriter, r *http.Request, n int)

func newHzServer(t *testing.T, tlsOn bool, metrics, healthz hzHandler) *hzServer {
	t.Helper()
	hs := &hzServer{hits: map[string]int{}, ua: map[string]bool{}}
	stop := make(chan struct{})
	hs.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.mu.Lock()
		n := hs.hits[r.URL.Path]
		hs.hits[r.URL.Path]++
		hs.ua[r.UserAgent()] = true
		hs.mu.Unlock()
		h := map[string]hzHandler{"/metrics": metrics, "/healthz": healthz}[r.URL.Path]
		if strings.HasPrefix(r.URL.Path, "/loop/") { // a redirect loop
			http.Redirect(w, r, "/loop/"+fmt.Sprint(n+1), http.StatusFound)
			return
		}
		if h == nil {
			http.NotFound(w, r)
			return
		}
		select {
		case <-stop:
		default:
			h(w, r, n)
		}
	}))
	if tlsOn {
		hs.srv.StartTLS()
	} else {
		hs.srv.Start()
	}
	t.Cleanup(func() {
		close(stop)
		hs.srv.CloseClientConnections()
		hs.srv.Close()
	})
	return hs
}

// Hits is the number of requests so far to paths starting with prefix.
func (hs *hzServer) Hits(prefix string) int {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	n := 0
	for p, c := range hs.hits {
		if strings.HasPrefix(p, prefix) {
			n += c
		}
	}
	return n
}

// gauge writes a consciousness_loop_hz gauge exposition with the given value text.
func gauge(value string) hzHandler {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		// A failed write means k6 went away; the test judges what k6 read.
		_, _ = fmt.Fprintf(w, "# TYPE consciousness_loop_hz gauge\n"+
			"consciousness_loop_hz{app=\"featherweight-consciousness\"} %s\n", value)
	}
}

// UserAgents are the User-Agent headers seen so far.
func (hs *hzServer) UserAgents() []string {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	out := make([]string, 0, len(hs.ua))
	for ua := range hs.ua {
		out = append(out, ua)
	}
	return out
}

// status answers with an HTTP status and a short body.
func status(code int) hzHandler {
	return func(w http.ResponseWriter, _ *http.Request, _ int) { http.Error(w, "fault", code) }
}

// body answers 200 with a fixed text body.
func body(text string) hzHandler {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte(text))
	}
}

// healthzJSON answers with code and a /healthz body carrying hz.
func healthzJSON(code int, hz float64) hzHandler {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, // a failed write means k6 went away; the test judges what k6 read
			`{"status":"degraded","hz":%v,"timestamp":"2026-01-01T00:00:00Z","uptime":1.5,"backend":"node"}`, hz)
	}
}

// slow answers only after d (or when the client leaves).
func slow(d time.Duration) hzHandler {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-r.Context().Done():
		case <-time.After(d):
			gauge("100")(w, r, n)
		}
	}
}

// huge answers 200 with a valid exposition of about size bytes.
func huge(size int) hzHandler {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		line := "# " + strings.Repeat("padding ", 15) + "\n"
		for i := 0; i < size/len(line); i++ {
			if _, err := io.WriteString(w, line); err != nil {
				return
			}
		}
		gauge("100")(w, r, n)
	}
}

// counterSeq serves a tick counter whose n-th value is values[n] (the last one repeats).
func counterSeq(values ...int) hzHandler {
	return func(w http.ResponseWriter, _ *http.Request, n int) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = fmt.Fprintf(w, // a failed write means k6 went away; the test judges what k6 read
			"# TYPE consciousness_loop_ticks_total counter\nconsciousness_loop_ticks_total %d\n",
			values[min(n, len(values)-1)])
	}
}
