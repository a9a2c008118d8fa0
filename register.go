// Package featherweight is the k6 extension k6/x/featherweight: a native WebSocket streaming-chat
// client with LLM-grade metrics and a monitor for the Featherweight backend's 100 Hz loop. The
// binding lives in the featherweight/ package, the open-model executors (poisson-arrival-rate,
// ramping-poisson-arrival-rate) in executor/, the pipeline tools (k6 x featherweight capacity,
// compare, verdict) in internal/cli; this file only registers them.
package featherweight

import (
	"go.k6.io/k6/js/modules"
	"go.k6.io/k6/subcommand"

	// Imported for its init(), which registers the executor types with k6.
	_ "github.com/featherweight/xk6-featherweight/executor"
	"github.com/featherweight/xk6-featherweight/featherweight"
	"github.com/featherweight/xk6-featherweight/internal/cli"
)

func init() {
	modules.Register("k6/x/featherweight", new(featherweight.RootModule))
	subcommand.RegisterExtension(cli.Name, cli.New)
}
