package featherweight

import (
	"errors"
	"fmt"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/lib"

	"github.com/featherweight/xk6-featherweight/executor"
)

// errTraceRowInInit is thrown by fw.traceRow() outside an iteration.
var errTraceRowInInit = errors.New("fw.traceRow() can only be called in VU code, in an iteration of a trace-arrival scenario")

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
