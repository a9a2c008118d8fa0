package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// Meta describes one run; scripts/bench-compare.sh writes it as RUNDIR/meta.json.
type Meta struct {
	Client    string  `json:"client"`   // native, websockets or plain
	Workload  string  `json:"workload"` // fast or slow
	Users     int     `json:"users"`
	Duration  float64 `json:"duration_s"`
	FwsimArgs string  `json:"fwsim_args"`
	ExitCode  int     `json:"exit_code"`
	ClkTck    float64 `json:"clk_tck"`
	Load1     float64 `json:"load1"` // the machine's 1-minute load average when the run started
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

func reportCmd(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("fwplain report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "run directory (meta.json, client.json, proc.tsv, fwsim-turns.ndjson, turns.log)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("report: -dir is required")
	}
	r, err := report(*dir)
	if err != nil {
		return fmt.Errorf("report %s: %w", *dir, err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	// #nosec G306 -- a benchmark result with no secrets, meant to be read (docs, CI artifacts)
	return os.WriteFile(filepath.Join(*dir, "result.json"), append(b, '\n'), 0o644)
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

// report joins the files of one run directory into a Result.
func report(dir string) (Result, error) {
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
	samples, err := readProc(filepath.Join(dir, "proc.tsv"), r.ClkTck)
	if err != nil {
		return r, err
	}
	if n := len(samples); n > 0 {
		r.CPUTotal = samples[n-1].cpu
		for _, s := range samples {
			r.PeakRSSKB = max(r.PeakRSSKB, s.hwm)
		}
		r.CPULoad = cpuAt(samples, float64(r.Server.End)/1e9) - cpuAt(samples, float64(r.Server.Start)/1e9)
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
		client, err := readTurnLines(f)
		if err != nil {
			return r, err
		}
		var errs []float64
		for id, c := range client {
			if t, ok := turns[id]; ok && t.FirstToken != 0 {
				errs = append(errs, c-float64(t.FirstToken-t.Received)/1e6)
			}
		}
		r.TurnTTFTErr = quantiles(errs)
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
	sum.TTFT = quantiles(ttft)
	sum.ITL = quantiles(itl)
	return byID, nil
}

type procSample struct {
	at  float64 // Unix seconds
	cpu float64 // utime+stime seconds
	hwm int64   // VmHWM kB
}

// readProc reads the "<unix_s> <utime+stime ticks> <VmHWM kB>" samples of the client process.
func readProc(path string, clkTck float64) ([]procSample, error) {
	if clkTck <= 0 {
		clkTck = 100
	}
	b, err := os.ReadFile(path) // #nosec G304 -- the process samples under the run directory the user names
	if err != nil {
		return nil, err
	}
	var out []procSample
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		at, err1 := strconv.ParseFloat(f[0], 64)
		ticks, err2 := strconv.ParseFloat(f[1], 64)
		hwm, err3 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		out = append(out, procSample{at: at, cpu: ticks / clkTck, hwm: hwm})
	}
	return out, nil
}

// cpuAt interpolates the CPU seconds at Unix time t (clamped to the samples' span).
func cpuAt(s []procSample, t float64) float64 {
	if t <= s[0].at {
		return s[0].cpu
	}
	for i := 1; i < len(s); i++ {
		if t <= s[i].at {
			a, b := s[i-1], s[i]
			return a.cpu + (b.cpu-a.cpu)*(t-a.at)/(b.at-a.at)
		}
	}
	return s[len(s)-1].cpu
}
