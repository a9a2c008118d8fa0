package featherweight

import (
	"errors"
	"fmt"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/lib"

	"github.com/featherweight/xk6-featherweight/executor"
	"github.com/featherweight/xk6-featherweight/executor/trace"
)

// errTraceRowInInit is thrown by fw.traceRow() outside an iteration.
var errTraceRowInInit = errors.New(
	"fw.traceRow() can only be called in VU code, in an iteration of a trace-arrival scenario")

// traceRow implements fw.traceRow(): the row of the trace that started the current iteration of a
// trace-arrival scenario (row exec.scenario.iterationInTest of the scenario's trace file, which
// the executor and every VU of the process share, parsed once).
func (mi *ModuleInstance) traceRow() *sobek.Object {
	rt := mi.vu.Runtime()
	state := mi.vu.State()
	if state == nil || state.GetScenarioGlobalVUIter == nil {
		common.Throw(rt, errTraceRowInInit)
	}
	scenario := lib.GetScenarioState(mi.vu.Context())
	if scenario == nil {
		common.Throw(rt, errTraceRowInInit)
	}
	cfg, ok := state.Options.Scenarios[scenario.Name].(*executor.TraceConfig)
	if !ok {
		common.Throw(rt, fmt.Errorf("fw.traceRow(): scenario %q runs the %s executor, not %s",
			scenario.Name, scenario.Executor, executor.TraceType))
	}
	t, err := cfg.Load()
	if err != nil {
		common.Throw(rt, fmt.Errorf("fw.traceRow(): %w", err))
	}
	i := state.GetScenarioGlobalVUIter()
	if i >= uint64(len(t.Rows)) {
		common.Throw(rt, fmt.Errorf("fw.traceRow(): iteration %d is past the %d rows of %s", i, len(t.Rows), t.Path))
	}
	r := t.Rows[i]
	row := map[string]any{
		"index":        i,
		"line":         r.Line,
		"offset":       r.At.Seconds(),
		"file":         t.Path,
		"format":       string(t.Format),
		"inputTokens":  nil,
		"outputTokens": nil,
		"model":        nil,
		"hashIds":      nil,
	}
	if t.Format.HasTokens() {
		row["inputTokens"], row["outputTokens"] = r.InputTokens, r.OutputTokens
	}
	if r.Model != "" {
		row["model"] = r.Model
	}
	if r.HashIDs != nil {
		ids := make([]any, len(r.HashIDs))
		for k, id := range r.HashIDs {
			ids[k] = id
		}
		row["hashIds"] = ids
	}
	return rt.ToValue(row).ToObject(rt)
}

// traceInfo implements fw.trace(path, options?): what a trace file holds (its format, rows, span
// and token totals), read through the same once-per-process cache as the trace-arrival executor,
// so that a script can size its other scenarios to the replay.
func (mi *ModuleInstance) traceInfo(path, options sobek.Value) *sobek.Object {
	rt := mi.vu.Runtime()
	p, err := optString(path, "path")
	if err != nil || p == "" {
		common.Throw(rt, fmt.Errorf("fw.trace: path must be a non-empty string, got %s", typeOf(path)))
	}
	format := ""
	obj, err := optObject(rt, options, "options")
	if err == nil && obj != nil {
		for _, k := range obj.Keys() {
			if k != "format" {
				err = fmt.Errorf("unknown option %q (known: format)", k)
				break
			}
			format, err = optString(obj.Get(k), "format")
		}
	}
	if err != nil {
		common.Throw(rt, fmt.Errorf("fw.trace: %w", err))
	}
	f, err := trace.ParseFormat(format)
	if err != nil {
		common.Throw(rt, fmt.Errorf("fw.trace: %w", err))
	}
	t, err := trace.Load(p, f)
	if err != nil {
		common.Throw(rt, fmt.Errorf("fw.trace: %w", err))
	}
	var in, out int64
	for _, r := range t.Rows {
		in += r.InputTokens
		out += r.OutputTokens
	}
	info := map[string]any{
		"file": t.Path, "format": string(t.Format), "rows": len(t.Rows), "duration": t.Duration().Seconds(),
		"inputTokens": nil, "outputTokens": nil,
	}
	if t.Format.HasTokens() {
		info["inputTokens"], info["outputTokens"] = in, out
	}
	return rt.ToValue(info).ToObject(rt)
}
