// Package process starts and watches the processes the tools run: k6 (a capacity step, a harness
// run), the reference backend fwsim, and their CPU use. Standard library only: it is part of every
// k6 built with the extension (k6 x featherweight capacity) and of the development harness.
package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Options describe a tool process: k6, fwplain, or any other command a run drives.
type Options struct {
	Path string   // the binary
	Args []string // its arguments
	// Env is added to the inherited environment (later entries win).
	Env []string
	// Dir is the working directory ("" = the caller's).
	Dir string
	// Stdout and Stderr receive the process's output (nil = discarded).
	Stdout, Stderr io.Writer
	// StopGrace is how long a stopped process (its context cancelled) has after SIGINT before it is
	// killed. Default 40 s: k6 ends its iterations and writes its summary on SIGINT.
	StopGrace time.Duration
}

// Process is a started tool process.
type Process struct {
	cmd   *exec.Cmd
	start time.Time
}

// Exit is how a process ended.
type Exit struct {
	// Code is the exit status; -1 when a signal ended the process.
	Code int
	// CPU is the process's user+system CPU time (its children included when they were waited for).
	CPU time.Duration
	// Wall is the time from start to exit.
	Wall time.Duration
}

// Start starts a tool process. Cancelling ctx interrupts it (SIGINT), then kills it after
// StopGrace.
func Start(ctx context.Context, o Options) (*Process, error) {
	// #nosec G204 -- running the tool the caller names (k6, fwplain) is the tools' purpose
	cmd := exec.CommandContext(ctx, o.Path, o.Args...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Dir = o.Dir
	cmd.Stdout, cmd.Stderr = o.Stdout, o.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = o.StopGrace
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = 40 * time.Second
	}
	p := &Process{cmd: cmd, start: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.Path, err)
	}
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Wait waits for the process to exit. A non-zero exit status is not an error (it is in Exit.Code);
// the error reports a process that could not be waited for.
func (p *Process) Wait() (Exit, error) {
	err := p.cmd.Wait()
	e := Exit{Wall: time.Since(p.start)}
	if ps := p.cmd.ProcessState; ps != nil {
		e.CPU = ps.UserTime() + ps.SystemTime()
		e.Code = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.Code = -1
		}
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) && !errors.Is(err, exec.ErrWaitDelay) {
		return e, err
	}
	return e, nil
}

// Run starts a tool process and waits for it.
func Run(ctx context.Context, o Options) (Exit, error) {
	p, err := Start(ctx, o)
	if err != nil {
		return Exit{Code: -1}, err
	}
	return p.Wait()
}

// K6Env is the environment every k6 run a tool starts gets: no usage report to Grafana, and no
// automatic extension resolution (which would try to build a new k6 with a remote builder).
func K6Env() []string {
	return []string{"K6_NO_USAGE_REPORT=true", "K6_AUTO_EXTENSION_RESOLUTION=false"}
}
