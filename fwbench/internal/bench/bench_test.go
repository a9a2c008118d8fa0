package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

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
		id, v, ok := ParseTurnLine(tc.line)
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
	q := Quantile(v)
	if q.Count != 100 || q.P50 != 50 || q.P99 != 99 {
		t.Fatalf("got %+v, want count 100, p50 50, p99 99", q)
	}
	if (Quantile(nil) != Quantiles{}) {
		t.Fatal("empty input must give zero quantiles")
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A run directory as a benchmark run leaves it: two server turns, one matched client turn.
func TestReportJoinsServerClientAndProc(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const s0 = int64(1_000_000_000_000_000_000) // Unix ns, second 1e9
	writeFile(t, dir, "meta.json", `{"client":"plain","workload":"fast","users":2,"duration_s":1}`)
	writeFile(t, dir, "client.json", `{"client":"plain","turns":2,"failed":0,"tokens":2000,
		"ttft_ms":{"count":2,"p50":21,"p99":25},"itl_ms":{"count":4,"p50":5.5,"p99":6}}`)
	// Turn a: TTFT 20 ms, gaps 5 ms and 6 ms; turn b: TTFT 22 ms, starts 1 s later, ends 2 s after a.
	writeFile(t, dir, "fwsim-turns.ndjson", strings.Join([]string{
		`{"id":"a","outcome":"completed","received_ns":` + itoa(s0) + `,"first_token_ns":` + itoa(s0+20e6) + `,"tokens":3,"itl_us":[5000,6000]}`,
		`{"id":"b","outcome":"completed","received_ns":` + itoa(s0+1e9) + `,"first_token_ns":` + itoa(s0+1e9+22e6) + `,"tokens":2,"itl_us":[978000]}`,
		`{"dropped":0}`, "",
	}, "\n"))
	// CPU: 1 s of CPU per second of wall time, from 1 s at second 1e9.
	writeFile(t, dir, "proc.json", procJSON(t, []harness.ProcSample{
		{At: time.Unix(999_999_999, 0), CPU: 0, PeakRSS: 1000 << 10},
		{At: time.Unix(1_000_000_000, 0), CPU: time.Second, PeakRSS: 2048 << 10},
		{At: time.Unix(1_000_000_002, 0), CPU: 3 * time.Second, PeakRSS: 4096 << 10},
		{At: time.Unix(1_000_000_003, 0), CPU: 4 * time.Second, PeakRSS: 4000 << 10},
	}))
	writeFile(t, dir, "turns.log", "turn a 21.000\nturn unknown 99\n")
	r, err := Report(dir)
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
	md := RenderTable([]Result{r, {
		Meta:   Meta{Client: "native", Workload: "fast", Users: 2},
		Client: ClientSummary{Client: "native", Turns: 1}, CPUPer1kTokens: 2,
	}})
	for _, want := range []string{
		"| fast | 2 | 1 | plain Go (gorilla) | 2 (1.00) |", "| fast | 2 | 1 | native (`k6/x/featherweight`) | 1 (0.50) |", "| 2.00× |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func procJSON(t *testing.T, samples []harness.ProcSample) string {
	t.Helper()
	b, err := json.Marshal(samples)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
