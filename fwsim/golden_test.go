package fwsim_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// testdata/golden holds frames recorded from the real Featherweight servers (see its README).
// These tests send fwsim the recorded client frames and compare fwsim's answers with the recorded
// ones field for field: the same members with the same value types (the "type" members with the
// same values), in the same order of frame kinds, with the same messageId relations and timestamp
// format. Token counts and texts differ by design (fwsim's reply is its own).

// goldenExchange is one recorded client frame and the server frames that answered it.
type goldenExchange struct {
	out []byte
	in  [][]byte
}

// loadGolden returns the exchanges of each recorded connection of testdata/golden/name, by name.
func loadGolden(t *testing.T, name string) map[string][]goldenExchange {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden", name))
	require.NoError(t, err)
	defer closeQuietly(f)
	conns := map[string][]goldenExchange{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		var line struct {
			Dir   string          `json:"dir"`
			Conn  string          `json:"conn"`
			Frame json.RawMessage `json:"frame"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		text := []byte(line.Frame)
		var s string
		if json.Unmarshal(line.Frame, &s) == nil { // a text frame that is not JSON
			text = []byte(s)
		}
		ex := conns[line.Conn]
		if line.Dir == "out" {
			ex = append(ex, goldenExchange{out: text})
		} else {
			require.NotEmpty(t, ex, "a server frame before any client frame")
			ex[len(ex)-1].in = append(ex[len(ex)-1].in, text)
		}
		conns[line.Conn] = ex
	}
	require.NoError(t, sc.Err())
	return conns
}

// frameShape describes a JSON frame by its members (dotted paths) and their value types; "type"
// members carry their value, as they name the frame's kind.
func frameShape(t *testing.T, frame []byte) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(frame, &v), "%s", frame)
	var parts []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			parts = append(parts, path+":object")
			for k, e := range x {
				p := strings.TrimPrefix(path+"."+k, ".")
				if s, ok := e.(string); ok && k == "type" {
					parts = append(parts, p+"="+s)
					continue
				}
				walk(p, e)
			}
		case []any:
			parts = append(parts, path+":array")
		case string:
			parts = append(parts, path+":string")
		case float64:
			parts = append(parts, path+":number")
		case bool:
			parts = append(parts, path+":bool")
		case nil:
			parts = append(parts, path+":null")
		}
	}
	walk("", v)
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// shapes returns the frames' shapes with runs of equal shapes (a token stream) collapsed to one.
func shapes(t *testing.T, frames [][]byte) []string {
	t.Helper()
	var out []string
	for _, f := range frames {
		if s := frameShape(t, f); len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// isoMillis is a JavaScript ISO timestamp (Date.prototype.toISOString), as the orchestrator sends.
var isoMillis = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// checkRelations checks what must hold between a client frame and the frames that answered it,
// in the capture and in fwsim alike: every messageId of the reply is the client's, and every
// timestamp is an ISO string.
func checkRelations(t *testing.T, who string, out []byte, in [][]byte) {
	t.Helper()
	var req struct {
		MessageID string `json:"messageId"`
	}
	_ = json.Unmarshal(out, &req) // a client frame that is not JSON has no messageId
	for _, f := range in {
		var m struct {
			MessageID *string `json:"messageId"`
			Timestamp *string `json:"timestamp"`
			Event     struct {
				MessageID *string `json:"messageId"`
			} `json:"event"`
		}
		require.NoError(t, json.Unmarshal(f, &m))
		for _, id := range []*string{m.MessageID, m.Event.MessageID} {
			if id != nil {
				require.Equal(t, req.MessageID, *id, "%s: the reply's messageId is the client's: %s", who, f)
			}
		}
		if m.Timestamp != nil {
			require.Regexp(t, isoMillis, *m.Timestamp, "%s: timestamp of %s", who, f)
		}
	}
}

// goldenCase compares fwsim with one real server's capture.
type goldenCase struct {
	capture string
	path    string
	// failed reports whether the recorded reply is a failure while answering (not a rejection of
	// the client's frame); fwsim answers those exchanges with an injected error.
	failed func(t *testing.T, reply [][]byte) bool
	// sameValues compares member values that must match exactly (beyond shapes).
	sameValues func(t *testing.T, want, got [][]byte)
}

var goldenCases = []goldenCase{
	{
		capture: "orchestrator.jsonl", path: "/api/chat",
		failed: func(t *testing.T, reply [][]byte) bool { // an upstream error names the turn
			t.Helper()
			return slices.ContainsFunc(reply, func(f []byte) bool {
				var m struct{ Type, MessageID string }
				require.NoError(t, json.Unmarshal(f, &m))
				return m.Type == "error" && m.MessageID != ""
			})
		},
		sameValues: func(t *testing.T, want, got [][]byte) {
			t.Helper()
			// The complete frame (with or without a preceding error) is the same, bar its timestamp.
			w, g := completeEvent(t, want[len(want)-1]), completeEvent(t, got[len(got)-1])
			require.Equal(t, w, g, "the reply's last frame")
		},
	},
	{
		capture: "unified-chat.jsonl", path: "/ws/unified-chat",
		failed: func(t *testing.T, reply [][]byte) bool {
			t.Helper()
			return strings.HasPrefix(unifiedError(t, reply[len(reply)-1]), unifiedSystemError)
		},
		sameValues: func(t *testing.T, want, got [][]byte) {
			t.Helper()
			w, g := unifiedError(t, want[len(want)-1]), unifiedError(t, got[len(got)-1])
			if strings.HasPrefix(w, unifiedSystemError) {
				require.True(t, strings.HasPrefix(g, unifiedSystemError), "a failure while answering: %q", g)
				return
			}
			require.Equal(t, w, g, "the error message")
		},
	},
}

// completeEvent is the event of an orchestrator complete frame ("" for any other frame).
func completeEvent(t *testing.T, frame []byte) string {
	t.Helper()
	var m struct {
		Event json.RawMessage `json:"event"`
	}
	require.NoError(t, json.Unmarshal(frame, &m))
	if !strings.Contains(string(m.Event), `"complete"`) {
		return ""
	}
	return string(m.Event)
}

// unifiedSystemError starts the real unified server's error for a failure while answering.
const unifiedSystemError = "Chat system error: "

// unifiedError is the message of a unified error frame ("" for any other frame).
func unifiedError(t *testing.T, frame []byte) string {
	t.Helper()
	var m struct{ Type, Message string }
	require.NoError(t, json.Unmarshal(frame, &m))
	if m.Type != "error" {
		return ""
	}
	return m.Message
}

// TestFramesMatchRealServers plays each recorded connection's client frames to fwsim, on one
// connection to a plain fwsim and, for the recorded upstream failures, one to a fwsim that fails
// every turn, and compares the answers with the recorded ones. After the last exchange nothing
// more may arrive on either connection (no end after a unified error, nothing after a schema
// error).
func TestFramesMatchRealServers(t *testing.T) {
	t.Parallel()
	plain := startServer(t, func(c *fwsim.Config) { c.Tokens = 8 })
	failing := startServer(t, func(c *fwsim.Config) { c.Tokens = 8; c.ErrorRate = 1 })
	for _, gc := range goldenCases {
		for name, script := range loadGolden(t, gc.capture) {
			t.Run(gc.capture+"/"+name, func(t *testing.T) {
				t.Parallel()
				var plainWS, failingWS *websocket.Conn
				for i, ex := range script {
					require.NotEmpty(t, ex.in)
					checkRelations(t, "capture", ex.out, ex.in)
					failed := gc.failed(t, ex.in)
					ws, srv := &plainWS, plain
					if failed {
						ws, srv = &failingWS, failing
					}
					if *ws == nil {
						*ws = dial(t, srv.ws(gc.path))
					}
					got := replyTo(t, *ws, ex)
					checkRelations(t, "fwsim", ex.out, got)
					want, have := shapes(t, ex.in), shapes(t, got)
					if failed { // fwsim injects its errors after at least one token
						want, have = dropTokens(want), dropTokens(have)
					}
					require.Equal(t, want, have, "exchange %d (%s): fwsim's frames\n%s", i, ex.out, got)
					gc.sameValues(t, ex.in, got)
				}
				for _, ws := range []*websocket.Conn{plainWS, failingWS} {
					if ws != nil {
						requireSilence(t, ws)
					}
				}
			})
		}
	}
}

// replyTo sends the recorded client frame and reads fwsim's answer up to the frame shaped like
// the recorded reply's last one.
func replyTo(t *testing.T, ws *websocket.Conn, ex goldenExchange) [][]byte {
	t.Helper()
	send(t, ws, string(ex.out))
	last := frameShape(t, ex.in[len(ex.in)-1])
	var got [][]byte
	for range 1000 {
		_, data, err := read(t, ws)
		require.NoError(t, err, "after %d frames of the reply to %s", len(got), ex.out)
		got = append(got, data)
		if frameShape(t, data) == last {
			return got
		}
	}
	t.Fatalf("no frame shaped like %s in the reply to %s", last, ex.out)
	return nil
}

// dropTokens removes the leading token run from a reply's collapsed shapes.
func dropTokens(collapsed []string) []string {
	if len(collapsed) > 1 && (strings.Contains(collapsed[0], "type=token") || strings.Contains(collapsed[0], "type=chunk")) {
		return collapsed[1:]
	}
	return collapsed
}

// requireSilence checks that no frame arrives within a short wait: the reply really ended.
func requireSilence(t *testing.T, ws *websocket.Conn) {
	t.Helper()
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	_, data, err := ws.ReadMessage()
	require.Error(t, err, "an unexpected frame after the last reply: %s", data)
	var ne interface{ Timeout() bool }
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout(), "%v", err)
}
