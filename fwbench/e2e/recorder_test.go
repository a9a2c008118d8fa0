//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// promptRecorder is a Featherweight chat server (/api/chat framing) that answers every prompt with
// two token frames and the terminal frame, and records the prompts of each connection in order.
type promptRecorder struct {
	srv   *httptest.Server
	mu    sync.Mutex
	conns [][]string // per accepted connection, the prompts it carried
}

func newPromptRecorder(t *testing.T) *promptRecorder {
	t.Helper()
	pr := &promptRecorder{}
	pr.srv = httptest.NewServer(http.HandlerFunc(pr.serve))
	t.Cleanup(func() {
		pr.srv.CloseClientConnections()
		pr.srv.Close()
	})
	return pr
}

// URL is the server's ws:// URL for /api/chat.
func (pr *promptRecorder) URL() string {
	return "ws" + strings.TrimPrefix(pr.srv.URL, "http") + "/api/chat"
}

// Conns returns a copy of the prompts recorded per connection.
func (pr *promptRecorder) Conns() [][]string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	out := make([][]string, len(pr.conns))
	for i, c := range pr.conns {
		out[i] = append([]string(nil), c...)
	}
	return out
}

func (pr *promptRecorder) serve(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer func() { _ = ws.Close() }()
	pr.mu.Lock()
	conn := len(pr.conns)
	pr.conns = append(pr.conns, nil)
	pr.mu.Unlock()
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var req struct {
			Content   string `json:"content"`
			MessageID string `json:"messageId"`
		}
		if json.Unmarshal(msg, &req) != nil {
			return
		}
		pr.mu.Lock()
		pr.conns[conn] = append(pr.conns[conn], req.Content)
		pr.mu.Unlock()
		for _, tok := range []string{`"Sure"`, `", done."`} {
			frame := fmt.Sprintf(`{"type":"stream_event","event":{"type":"token","data":%s,"messageId":%q},"timestamp":"2026-01-01T00:00:00Z"}`, tok, req.MessageID)
			if ws.WriteMessage(websocket.TextMessage, []byte(frame)) != nil {
				return
			}
		}
		if ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"complete","data":""}}`)) != nil {
			return
		}
	}
}
