package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// managedFwsim is the bin/fwsim process the search runs against when FW_CHAT_URL is unset.
type managedFwsim struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	done chan struct{}
}

// startFwsim starts fwsim on a free loopback port and waits for its address line and a healthy loop.
func startFwsim(ctx context.Context, bin string, flags []string, logPath string) (*managedFwsim, error) {
	// #nosec G301 -- the output directory the user names (-out), shared with the report they read
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(logPath) // #nosec G304 -- fwsim.log beside the report, under the user's -out
	if err != nil {
		return nil, err
	}
	args := append([]string{"-addr", "127.0.0.1:0"}, flags...)
	// fwsim outlives a cancelled search (Ctrl-C) until the steps' k6 runs have stopped gracefully:
	// stop ends it with an interrupt, not ctx's cancellation.
	// #nosec G204 -- running the fwsim binary the user names (FW_FWSIM) is the purpose
	cmd := exec.CommandContext(context.WithoutCancel(ctx), bin, args...)
	cmd.Stderr = log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = log.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("fwsim (FW_FWSIM=%s): %w", bin, err)
	}
	m := &managedFwsim{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "fwsim listening on "); ok {
				addr <- strings.TrimSpace(rest)
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		_ = log.Close()
		close(m.done)
	}()
	select {
	case m.base = <-addr:
	case <-m.done:
		return nil, fmt.Errorf("fwsim %v exited at start; see %s", args, logPath)
	case <-time.After(15 * time.Second):
		m.stop()
		return nil, fmt.Errorf("fwsim %v printed no address in 15 s; see %s", args, logPath)
	case <-ctx.Done():
		m.stop()
		return nil, ctx.Err()
	}
	// A fresh loop reports a low Hz for its first window: let it fill before the first step.
	time.Sleep(1500 * time.Millisecond)
	return m, nil
}

// env points the scenario at this fwsim.
func (m *managedFwsim) env() []string {
	ws := "ws" + strings.TrimPrefix(m.base, "http")
	return []string{
		"FW_CHAT_URL=" + ws + "/api/chat",
		"FW_METRICS_URL=" + m.base + "/metrics",
		"FW_HEALTHZ_URL=" + m.base + "/healthz",
	}
}

func (m *managedFwsim) pid() int { return m.cmd.Process.Pid }

// stop interrupts fwsim (a clean shutdown) and kills it if it has not exited after 10 s.
func (m *managedFwsim) stop() {
	_ = m.cmd.Process.Signal(os.Interrupt)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}
