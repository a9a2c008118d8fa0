package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
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
	got, err := readTurnLines(strings.NewReader(string(lines)))
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

func TestParseTurnLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line string
		id   string
		v    float64
		ok   bool
	}{
		{"turn plain-1-2 12.500", "plain-1-2", 12.5, true},
		{`time="2026-11-27T14:38:10Z" level=info msg="turn fw-2ks73f4a6w6kl 35.234925" source=console`, "fw-2ks73f4a6w6kl", 35.234925, true},
		{`level=info msg="turn ws-3-0 20"`, "ws-3-0", 20, true},
		{"turn only-id", "", 0, false},
		{"turn x notanumber", "", 0, false},
		{"nothing here", "", 0, false},
	} {
		id, v, ok := parseTurnLine(tc.line)
		if id != tc.id || v != tc.v || ok != tc.ok {
			t.Errorf("%q: got %q %v %v", tc.line, id, v, ok)
		}
	}
}

func TestQuantilesNearestRank(t *testing.T) {
	t.Parallel()
	v := make([]float64, 0, 100)
	for i := 100; i >= 1; i-- {
		v = append(v, float64(i))
	}
	q := quantiles(v)
	if q.Count != 100 || q.P50 != 50 || q.P99 != 99 {
		t.Fatalf("got %+v, want count 100, p50 50, p99 99", q)
	}
	if (quantiles(nil) != Quantiles{}) {
		t.Fatal("empty input must give zero quantiles")
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A run directory as scripts/bench-compare.sh leaves it: two server turns, one matched client turn.
func TestReportJoinsServerClientAndProc(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const s0 = int64(1_000_000_000_000_000_000) // Unix ns, second 1e9
	writeFile(t, dir, "meta.json", `{"client":"plain","workload":"fast","users":2,"duration_s":1,"clk_tck":100}`)
	writeFile(t, dir, "client.json", `{"client":"plain","turns":2,"failed":0,"tokens":2000,
		"ttft_ms":{"count":2,"p50":21,"p99":25},"itl_ms":{"count":4,"p50":5.5,"p99":6}}`)
	// Turn a: TTFT 20 ms, gaps 5 ms and 6 ms; turn b: TTFT 22 ms, starts 1 s later, ends 2 s after a.
	writeFile(t, dir, "fwsim-turns.ndjson", strings.Join([]string{
		`{"id":"a","outcome":"completed","received_ns":` + itoa(s0) + `,"first_token_ns":` + itoa(s0+20e6) + `,"tokens":3,"itl_us":[5000,6000]}`,
		`{"id":"b","outcome":"completed","received_ns":` + itoa(s0+1e9) + `,"first_token_ns":` + itoa(s0+1e9+22e6) + `,"tokens":2,"itl_us":[978000]}`,
		`{"dropped":0}`, "",
	}, "\n"))
	// CPU: 1 s of CPU per second of wall time, from 100 ticks at second 1e9-1.
	writeFile(t, dir, "proc.tsv", "999999999.0 0 1000\n1000000000.0 100 2048\n1000000002.0 300 4096\n1000000003.0 400 4000\n")
	writeFile(t, dir, "turns.log", "turn a 21.000\nturn unknown 99\n")
	r, err := report(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Server.Completed != 2 || r.Server.Tokens != 5 || r.Server.TTFT.P50 != 20 || r.Server.TTFT.P99 != 22 {
		t.Fatalf("server %+v", r.Server)
	}
	if got := r.CPULoad; got < 1.99 || got > 2.01 { // first prompt read (1e9 s) .. last token (1e9+2 s)
		t.Fatalf("CPU over the load window %.3f s, want 2", got)
	}
	if r.CPUTotal != 4 || r.PeakRSSKB != 4096 || r.CPUPer1kTokens < 0.99 || r.CPUPer1kTokens > 1.01 {
		t.Fatalf("CPU total %.2f, peak %d kB, per 1k tokens %.3f", r.CPUTotal, r.PeakRSSKB, r.CPUPer1kTokens)
	}
	if r.TTFTErr.P50 != 1 || r.TTFTErr.P99 != 3 {
		t.Fatalf("TTFT error %+v, want p50 +1 (21-20), p99 +3 (25-22)", r.TTFTErr)
	}
	if r.TurnTTFTErr.Count != 1 || r.TurnTTFTErr.P50 != 1 {
		t.Fatalf("per-turn TTFT error %+v, want one turn at +1 ms", r.TurnTTFTErr)
	}
	md := renderTable([]Result{r, {
		Meta:   Meta{Client: "native", Workload: "fast", Users: 2},
		Client: ClientSummary{Client: "native", Turns: 1}, CPUPer1kTokens: 2,
	}})
	for _, want := range []string{"| fast | 2 | plain Go (gorilla) | 2 (1.00) |", "| fast | 2 | native (`k6/x/featherweight`) | 1 (0.50) |", "| 2.00× |"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
