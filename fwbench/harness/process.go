package harness

import (
	"context"

	"github.com/featherweight/xk6-featherweight/internal/process"
)

// The tool processes are started by the extension's internal/process, shared with
// k6 x featherweight capacity.
type (
	// ProcessOptions describe a tool process: k6, fwplain, or any other command a run drives.
	ProcessOptions = process.Options
	// Process is a started tool process.
	Process = process.Process
	// Exit is how a process ended.
	Exit = process.Exit
	// HostCPU is the machine's aggregate CPU time.
	HostCPU = process.HostCPU
)

// StartProcess starts a tool process (process.Start).
func StartProcess(ctx context.Context, o ProcessOptions) (*Process, error) {
	return process.Start(ctx, o)
}

// RunProcess starts a tool process and waits for it (process.Run).
func RunProcess(ctx context.Context, o ProcessOptions) (Exit, error) { return process.Run(ctx, o) }

// K6Env is the environment every k6 run of the harness gets (process.K6Env).
func K6Env() []string { return process.K6Env() }

// ReadHostCPU reads the machine's CPU times (process.ReadHostCPU).
func ReadHostCPU() (HostCPU, error) { return process.ReadHostCPU() }
