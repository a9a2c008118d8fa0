package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/featherweight/xk6-featherweight/fwbench/internal/bench"
)

// orchestrator serves the Featherweight orchestrator framing: tokens token frames, 2 ms apart,
// after a foreign frame and an empty token (neither counts); "fail" prompts get an error frame.
func orchestrator(t *testing.T, tokens int) string {
	t.Helper()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			var m userMessage
			if json.Unmarshal(data, &m) != nil || m.Type != "user_message" {
				return
			}
			if m.Content == "fail" {
				_ = c.WriteJSON(map[string]any{"type": "error", "content": "boom", "messageId": m.MessageID})
				continue
			}
			ev := func(typ, data, id string) map[string]any {
				return map[string]any{"type": "stream_event", "event": map[string]any{"type": typ, "data": data, "messageId": id}}
			}
			_ = c.WriteJSON(ev("token", "other turn", "someone-else"))
			_ = c.WriteJSON(ev("token", "", m.MessageID))
			for range tokens {
				time.Sleep(2 * time.Millisecond)
				_ = c.WriteJSON(ev("token", "tok", m.MessageID))
			}
			_ = c.WriteJSON(ev("complete", "", m.MessageID))
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/chat"
}

func TestRunLoadCountsTurnsTokensAndGaps(t *testing.T) {
	t.Parallel()
	o := runOptions{
		url: orchestrator(t, 4), users: 3, duration: 200 * time.Millisecond, prompt: "hi",
		turnTimeout: 5 * time.Second, turnsOut: "x",
	}
	sum, lines, err := runLoad(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Turns < 3 || sum.Failed != 0 {
		t.Fatalf("turns %d failed %d, want >= 3 and 0", sum.Turns, sum.Failed)
	}
	if sum.Tokens != 4*sum.Turns || sum.TTFT.Count != sum.Turns || sum.ITL.Count != 3*sum.Turns {
		t.Fatalf("tokens %d ttft %d itl %d for %d turns", sum.Tokens, sum.TTFT.Count, sum.ITL.Count, sum.Turns)
	}
	if sum.TTFT.P50 < 2 || sum.ITL.P50 < 2 {
		t.Fatalf("TTFT p50 %.2f ms, ITL p50 %.2f ms: the server waits 2 ms before each token", sum.TTFT.P50, sum.ITL.P50)
	}
	got, err := bench.ReadTurnLines(strings.NewReader(string(lines)))
	if err != nil || int64(len(got)) != sum.Turns {
		t.Fatalf("%d turn lines (%v), want %d", len(got), err, sum.Turns)
	}
	if _, ok := got["plain-0-0"]; !ok {
		t.Fatalf("no line for plain-0-0 in %q", lines)
	}
}

func TestRunLoadErrorFrameFailsTheTurn(t *testing.T) {
	t.Parallel()
	o := runOptions{url: orchestrator(t, 1), users: 2, duration: 50 * time.Millisecond, prompt: "fail", turnTimeout: 5 * time.Second}
	sum, _, err := runLoad(context.Background(), o)
	if err == nil || sum.Failed == 0 || sum.Turns != 0 {
		t.Fatalf("summary %+v, err %v: want failed turns and an error", sum, err)
	}
}
