package chatws_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// A capture (testdata/golden) is what a real Featherweight server and its client said on one or
// more connections, with the time of every frame. replayServer plays one connection's part of it
// back: it reads each client frame the capture recorded, checks it against the recorded one, and
// answers with the server frames that followed it, each at its recorded delay from that client
// frame (times replayScale).

// replayScale shrinks the recorded delays uniformly: order and relative gaps stay as recorded.
const replayScale = 0.25

// capturedFrame is one frame of a capture.
type capturedFrame struct {
	at   time.Duration // since the capture began
	text []byte        // the frame as sent (a text frame)
}

// exchange is one client frame and the server frames that answered it (up to the next client frame).
type exchange struct {
	out capturedFrame
	in  []capturedFrame
}

// loadCapture reads testdata/golden/name and returns each connection's exchanges, by conn name.
func loadCapture(t *testing.T, name string) map[string][]exchange {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden", name))
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	conns := map[string][]exchange{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var line struct {
			Dir   string          `json:"dir"`
			TMs   float64         `json:"t_ms"`
			Conn  string          `json:"conn"`
			Frame json.RawMessage `json:"frame"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), "%s:%d", name, n)
		fr := capturedFrame{at: time.Duration(line.TMs * float64(time.Millisecond)), text: frameText(t, line.Frame)}
		ex := conns[line.Conn]
		switch line.Dir {
		case "out":
			ex = append(ex, exchange{out: fr})
		case "in":
			require.NotEmpty(t, ex, "%s:%d: a server frame before any client frame", name, n)
			ex[len(ex)-1].in = append(ex[len(ex)-1].in, fr)
		default:
			t.Fatalf("%s:%d: dir %q", name, n, line.Dir)
		}
		conns[line.Conn] = ex
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, conns, name)
	return conns
}

// frameText is the wire text of a recorded frame: a JSON string is a text frame that is not JSON
// (e.g. "{not json"); anything else is the JSON frame itself.
func frameText(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		require.NoError(t, json.Unmarshal(raw, &s))
		return []byte(s)
	}
	var b bytes.Buffer
	require.NoError(t, json.Compact(&b, raw))
	return b.Bytes()
}

// replayServer serves one connection's exchanges of a capture, on every connection it accepts.
type replayServer struct {
	URL    string // ws://127.0.0.1:port/path
	script []exchange

	up       websocket.Upgrader
	done     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[*websocket.Conn]struct{}
	mismatch []string // client frames that differ from the recorded ones
}

// startReplay serves script on path (loopback); at cleanup it closes every socket and waits for
// its handlers.
func startReplay(t *testing.T, path string, script []exchange) *replayServer {
	t.Helper()
	s := &replayServer{
		script: script,
		up:     websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		done:   make(chan struct{}),
		conns:  map[*websocket.Conn]struct{}{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc(path, s.serve)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		close(s.done)
		s.mu.Lock()
		for ws := range s.conns {
			_ = ws.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
		hs.Close()
	})
	s.URL = "ws" + strings.TrimPrefix(hs.URL, "http") + path
	return s
}

// mismatches returns what the client sent that the capture's client did not.
func (s *replayServer) mismatches() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.mismatch...)
}

func (s *replayServer) serve(w http.ResponseWriter, r *http.Request) {
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
	for i, ex := range s.script {
		_, got, err := ws.ReadMessage()
		if err != nil {
			return
		}
		read := time.Now()
		if problem := sameClientFrame(ex.out.text, got); problem != "" {
			s.mu.Lock()
			s.mismatch = append(s.mismatch, fmt.Sprintf("client frame %d: %s\n got  %s\n want %s", i, problem, got, ex.out.text))
			s.mu.Unlock()
		}
		for _, in := range ex.in {
			if !s.sleepUntil(read.Add(scaled(in.at - ex.out.at))) {
				return
			}
			if ws.WriteMessage(websocket.TextMessage, in.text) != nil {
				return
			}
		}
	}
	for { // the capture is over: wait for the client to leave
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
	}
}

// sleepUntil waits for the deadline; false when the test ended meanwhile.
func (s *replayServer) sleepUntil(deadline time.Time) bool {
	tm := time.NewTimer(time.Until(deadline))
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-s.done:
		return false
	}
}

func scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * replayScale) }

// sameClientFrame compares a client frame with the recorded one: the same JSON members with the
// same values, except that a timestamp only has to be an RFC 3339 string (the client's clock is
// not the capture's). A recorded frame that is not JSON must be sent byte for byte. It returns
// what differs, or "".
func sameClientFrame(want, got []byte) string {
	var w, g map[string]any
	if json.Unmarshal(want, &w) != nil {
		if !bytes.Equal(want, got) {
			return "not the recorded text"
		}
		return ""
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return "not a JSON object: " + err.Error()
	}
	if wts, ok := w["timestamp"]; ok {
		if _, isStr := wts.(string); !isStr {
			return "the recorded timestamp is not a string"
		}
		gts, isStr := g["timestamp"].(string)
		if !isStr {
			return "timestamp is not a string"
		}
		if _, err := time.Parse(time.RFC3339Nano, gts); err != nil {
			return "timestamp is not RFC 3339: " + err.Error()
		}
		delete(w, "timestamp")
		delete(g, "timestamp")
	}
	if !reflect.DeepEqual(w, g) {
		return "members differ"
	}
	return ""
}
