// Package featherweight is the JS binding of k6/x/featherweight: the only package that knows k6
// and sobek. It parses options from scripts, runs chatws turns and hz scrapes, and emits metrics.
package featherweight

import (
	"sync"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/js/modules"
)

// RootModule is the global module instance; it creates one ModuleInstance per VU.
type RootModule struct {
	// writeBuffers lends WebSocket write buffers to every connection of every VU only while it
	// writes (chatws.Options.WriteBufferPool): ~4 KiB less per idle stream.
	writeBuffers sync.Pool
	// datasets are the files fw.dataset loaded, each once per process, shared by all VUs.
	datasets datasets
	// ledger is the run's record of what the extension emitted (sketched Trends, checkpoints).
	ledgerOnce sync.Once
	ledger     *runLedger
	// sessions are the open sessions of every VU, closed when the test ends.
	sessions    openSessions
	testEndOnce sync.Once
}

// ModuleInstance is the per-VU instance of k6/x/featherweight.
type ModuleInstance struct {
	vu           modules.VU
	metrics      *fwMetrics
	writeBuffers *sync.Pool    // the RootModule's, shared by all VUs
	datasets     *datasets     // the RootModule's, shared by all VUs
	ledger       *runLedger    // the RootModule's, shared by all VUs
	sessions     *openSessions // the RootModule's, shared by all VUs
	sessionProto *sobek.Object // the methods of every session object of this VU (made at the first connect)
}

var (
	_ modules.Module   = &RootModule{}
	_ modules.Instance = &ModuleInstance{}
)

// NewModuleInstance registers the extension's metrics (once per VU, idempotent in the registry)
// and returns the VU's instance.
func (r *RootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	m, err := registerMetrics(vu.InitEnv().Registry)
	if err != nil {
		common.Throw(vu.Runtime(), err)
	}
	r.ledgerOnce.Do(func() { r.ledger = newRunLedger() })
	r.watchTestEnd(vu)
	return &ModuleInstance{
		vu: vu, metrics: m, writeBuffers: &r.writeBuffers, datasets: &r.datasets, ledger: r.ledger, sessions: &r.sessions,
	}
}

// Exports exposes the same functions as the default export object and as named exports, so both
// `import fw from 'k6/x/featherweight'` and `import { chat } from 'k6/x/featherweight'` work.
func (mi *ModuleInstance) Exports() modules.Exports {
	named := map[string]any{
		"chat":      mi.chat,
		"chatAsync": mi.chatAsync,
		"connect":   mi.connect,
		"HzMonitor": mi.newHzMonitor,
		"dataset":   mi.dataset,
		"trace":     mi.traceInfo,
		"traceRow":  mi.traceRow,
		// Long runs (docs/chat.md, "Soak"): thresholds and summary of sketched Trends.
		"sketchThresholds": mi.sketchThresholds,
		"flushTrends":      mi.flushTrends,
		"summary":          mi.summary,
		"checkpoint":       mi.checkpoint,
	}
	return modules.Exports{Default: named, Named: named}
}
