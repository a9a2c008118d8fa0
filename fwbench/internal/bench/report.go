package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
	"github.com/featherweight/xk6-featherweight/fwsim"
)

// Meta describes one run (RUNDIR/meta.json).
type Meta struct {
	Client    string  `json:"client"`   // native, websockets or plain
	Workload  string  `json:"workload"` // fast or slow
	Users     int     `json:"users"`
	Duration  float64 `json:"duration_s"`
	FwsimArgs string  `json:"fwsim_args"`
	ExitCode  int     `json:"exit_code"`
	Load1     float64 `json:"load1"`          // the machine's 1-minute load average when the run started
	Run       int     `json:"run,omitempty"`  // the run's number in its cell (from 1; 0 in older results)
	Mode      string  `json:"mode,omitempty"` // session or oneshot ("" in older results: session)
	FwsimNice int     `json:"fwsim_nice"`     // fwsim's nice value (negative: ahead of the client for the CPU)
}

// Result is one run's figures (RUNDIR/result.json).
type Result struct {
	Meta
	Client         ClientSummary `json:"client_summary"`
	CPUTotal       float64       `json:"cpu_total_s"`      // the client process, start to exit
	CPULoad        float64       `json:"cpu_load_s"`       // during fwsim's first prompt read .. last token written
	CPUPer1kTokens float64       `json:"cpu_s_per_1k_tok"` // CPULoad / client tokens * 1000
	CPUCores       float64       `json:"cpu_cores"`        // CPULoad / the load window's wall time
	PeakRSSKB      int64         `json:"peak_rss_kb"`
	Server         ServerSummary `json:"server"`
	TTFTErr        Quantiles     `json:"ttft_err_ms"`      // client p50/p99 - server p50/p99
	ITLErr         Quantiles     `json:"itl_err_ms"`       // idem
	TurnTTFTErr    Quantiles     `json:"turn_ttft_err_ms"` // per turn matched by messageId; Count 0 if none
}

// ServerSummary is fwsim's own account (its /debug/turns).
type ServerSummary struct {
	Completed int64     `json:"completed"`
	Failed    int64     `json:"failed"` // failed or aborted
	Dropped   uint64    `json:"dropped"`
	Tokens    int64     `json:"tokens"`
	TTFT      Quantiles `json:"ttft_ms"`
	ITL       Quantiles `json:"itl_ms"`
	Start     int64     `json:"start_ns"` // first prompt read
	End       int64     `json:"end_ns"`   // last token written
}

// WriteResult joins the files of one run directory into RUNDIR/result.json and returns the result.
func WriteResult(dir string) (Result, error) {
	r, err := Report(dir)
	if err != nil {
		return r, fmt.Errorf("report %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return r, err
	}
	// #nosec G306 -- a benchmark result with no secrets, meant to be read (docs, CI artifacts)
	return r, os.WriteFile(filepath.Join(dir, "result.json"), append(b, '\n'), 0o644)
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path) // #nosec G304 -- a run's file under the run directory the user names
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Report joins the files of one run directory into a Result: meta.json, client.json (the client's
// ClientSummary), fwsim-turns.ndjson (fwsim's /debug/turns), proc.json (the client process's
// samples) and, when present, turns.log (the client's per-turn TTFT lines).
func Report(dir string) (Result, error) {
	var r Result
	if err := readJSONFile(filepath.Join(dir, "meta.json"), &r.Meta); err != nil {
		return r, err
	}
	if err := readJSONFile(filepath.Join(dir, "client.json"), &r.Client); err != nil {
		return r, fmt.Errorf("client summary missing (did the client run?): %w", err)
	}
	turns, err := readServerTurns(filepath.Join(dir, "fwsim-turns.ndjson"), &r.Server)
	if err != nil {
		return r, err
	}
	var samples []harness.ProcSample
	if err := readJSONFile(filepath.Join(dir, "proc.json"), &samples); err != nil {
		return r, err
	}
	if n := len(samples); n > 0 {
		r.CPUTotal = samples[n-1].CPU.Seconds()
		for _, s := range samples {
			r.PeakRSSKB = max(r.PeakRSSKB, int64(s.PeakRSS/1024)) // #nosec G115 -- kB of a process's memory
		}
		r.CPULoad = cpuAt(samples, r.Server.End) - cpuAt(samples, r.Server.Start)
		if w := float64(r.Server.End-r.Server.Start) / 1e9; w > 0 {
			r.CPUCores = r.CPULoad / w
		}
	}
	if r.Client.Tokens > 0 {
		r.CPUPer1kTokens = r.CPULoad / float64(r.Client.Tokens) * 1000
	}
	r.TTFTErr = diff(r.Client.TTFT, r.Server.TTFT)
	r.ITLErr = diff(r.Client.ITL, r.Server.ITL)
	// #nosec G304 -- the client's turn log under the run directory the user names
	if f, err := os.Open(filepath.Join(dir, "turns.log")); err == nil {
		defer func() { _ = f.Close() }()
		client, err := ReadTurnLines(f)
		if err != nil {
			return r, err
		}
		var errs []float64
		for id, c := range client {
			if t, ok := turns[id]; ok && t.FirstToken != 0 {
				errs = append(errs, c-float64(t.FirstToken-t.Received)/1e6)
			}
		}
		r.TurnTTFTErr = Quantile(errs)
	}
	return r, nil
}

func diff(c, s Quantiles) Quantiles {
	if c.Count == 0 || s.Count == 0 {
		return Quantiles{}
	}
	return Quantiles{Count: min(c.Count, s.Count), P50: c.P50 - s.P50, P99: c.P99 - s.P99}
}

// readServerTurns reads fwsim's /debug/turns dump into sum and returns the turns by id.
func readServerTurns(path string, sum *ServerSummary) (map[string]fwsim.TurnTiming, error) {
	f, err := os.Open(path) // #nosec G304 -- fwsim's turn dump under the run directory the user names
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	recs, dropped, err := fwsim.ReadTurns(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum.Dropped = dropped
	byID := make(map[string]fwsim.TurnTiming, len(recs))
	var ttft, itl []float64
	for _, t := range recs {
		if t.Outcome == "completed" {
			sum.Completed++
		} else {
			sum.Failed++
		}
		sum.Tokens += int64(t.Tokens)
		if sum.Start == 0 || t.Received < sum.Start {
			sum.Start = t.Received
		}
		if t.FirstToken != 0 {
			ttft = append(ttft, float64(t.TTFT())/1e6)
			end := t.FirstToken
			for _, g := range t.ITLMicros {
				itl = append(itl, float64(g)/1e3)
				end += int64(g) * 1000
			}
			sum.End = max(sum.End, end)
		}
		t.ITLMicros = nil
		byID[t.ID] = t
	}
	sum.TTFT = Quantile(ttft)
	sum.ITL = Quantile(itl)
	return byID, nil
}

// cpuAt interpolates the CPU seconds at Unix time ns (clamped to the samples' span).
func cpuAt(s []harness.ProcSample, ns int64) float64 {
	at := func(i int) float64 { return float64(s[i].At.UnixNano()) }
	cpu := func(i int) float64 { return s[i].CPU.Seconds() }
	t := float64(ns)
	if t <= at(0) {
		return cpu(0)
	}
	for i := 1; i < len(s); i++ {
		if t <= at(i) {
			return cpu(i-1) + (cpu(i)-cpu(i-1))*(t-at(i-1))/(at(i)-at(i-1))
		}
	}
	return cpu(len(s) - 1)
}
