package process

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// FwsimOptions describe an fwsim process to start.
type FwsimOptions struct {
	// Binary is the fwsim binary; default bin/fwsim.
	Binary string
	// Addr is the listen address; default 127.0.0.1:0 (a free loopback port).
	Addr string
	// Flags are fwsim's other flags, e.g. -capacity 600 or -hz 60.
	Flags []string
	// Prefix are arguments before fwsim's flags, when Binary runs fwsim rather than being it (a
	// container engine: Binary podman, Prefix run --rm --network host fwsim:latest).
	Prefix []string
	// Log receives fwsim's output (both streams); nil = discarded.
	Log io.Writer
	// StartTimeout bounds the wait for fwsim's address line; default 15 s.
	StartTimeout time.Duration
}

// Fwsim is a running fwsim process, stopped with Stop.
type Fwsim struct {
	// URL is its HTTP base, e.g. http://127.0.0.1:41234.
	URL string

	cmd  *exec.Cmd
	done chan struct{}
	stop sync.Once
}

// ErrFwsim is matched by the errors of an fwsim that did not start.
var ErrFwsim = errors.New("fwsim did not start")

// listeningPrefix starts the line fwsim prints once it accepts connections.
const listeningPrefix = "fwsim listening on "

// StartFwsim starts fwsim and returns once it listens (it prints its address then). The process
// outlives ctx (a cancelled run's k6 still talks to it while it stops): end it with Stop.
func StartFwsim(ctx context.Context, o FwsimOptions) (*Fwsim, error) {
	if o.Binary == "" {
		o.Binary = "bin/fwsim"
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 15 * time.Second
	}
	log := &lockedWriter{w: o.Log}
	args := append([]string{"-addr", o.Addr}, o.Flags...)
	// fwsim outlives ctx (Stop ends it), so its command is not cancelled with it.
	// #nosec G204 -- the fwsim binary (or container engine) the caller names
	cmd := exec.CommandContext(context.WithoutCancel(ctx), o.Binary, append(append([]string{}, o.Prefix...), args...)...)
	addr := make(chan string, 1)
	cmd.Stdout = &addressWatcher{log: log, addr: addr}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFwsim, o.Binary, err)
	}
	f := &Fwsim{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		_ = cmd.Wait()
	}()
	select {
	case f.URL = <-addr:
		return f, nil
	case <-f.done:
		return nil, fmt.Errorf("%w: fwsim %s exited at start (see its log)", ErrFwsim, strings.Join(args, " "))
	case <-time.After(o.StartTimeout):
		_ = f.Stop()
		return nil, fmt.Errorf("%w: fwsim %s printed no address in %s", ErrFwsim, strings.Join(args, " "), o.StartTimeout)
	case <-ctx.Done():
		_ = f.Stop()
		return nil, ctx.Err()
	}
}

// addressWatcher passes fwsim's stdout to log and sends the address of its "listening" line to addr.
// exec's one copying goroutine calls Write.
type addressWatcher struct {
	log   io.Writer
	addr  chan<- string
	line  []byte
	found bool
}

func (w *addressWatcher) Write(p []byte) (int, error) {
	if !w.found {
		w.line = append(w.line, p...)
		for !w.found {
			i := bytes.IndexByte(w.line, '\n')
			if i < 0 {
				break
			}
			rest, ok := bytes.CutPrefix(w.line[:i], []byte(listeningPrefix))
			if f := bytes.Fields(rest); ok && len(f) > 0 {
				w.addr <- string(f[0])
				w.found, w.line = true, nil
				break
			}
			w.line = w.line[i+1:]
		}
		if len(w.line) > 64<<10 { // no address line in 64 KiB of output: keep only the tail
			w.line = w.line[len(w.line)-4096:]
		}
	}
	_, _ = w.log.Write(p) // a log that fails to write must not stop fwsim
	return len(p), nil
}

// WS is the WebSocket base, e.g. ws://127.0.0.1:41234.
func (f *Fwsim) WS() string { return "ws" + strings.TrimPrefix(f.URL, "http") }

// PID is fwsim's process id.
func (f *Fwsim) PID() int { return f.cmd.Process.Pid }

// Done is closed when fwsim has exited.
func (f *Fwsim) Done() <-chan struct{} { return f.done }

// ScenarioEnv points the bundled scenario (examples/featherweight-load.js) at this fwsim:
// FW_CHAT_URL, FW_METRICS_URL and FW_HEALTHZ_URL.
func (f *Fwsim) ScenarioEnv() map[string]string {
	return map[string]string{
		"FW_CHAT_URL":    f.WS() + "/api/chat",
		"FW_METRICS_URL": f.URL + "/metrics",
		"FW_HEALTHZ_URL": f.URL + "/healthz",
	}
}

// Stop interrupts fwsim (a clean shutdown) and kills it when it has not exited after 10 s.
func (f *Fwsim) Stop() error {
	var err error
	f.stop.Do(func() {
		_ = f.cmd.Process.Signal(os.Interrupt)
		select {
		case <-f.done:
		case <-time.After(10 * time.Second):
			err = errors.New("fwsim ignored SIGINT for 10 s: killed")
			_ = f.cmd.Process.Kill()
			<-f.done
		}
	})
	return err
}

// Healthz is what fwsim's /healthz answered.
type Healthz struct {
	Status int    // the HTTP status
	Body   string // the JSON body, as sent
	OK     bool   // HTTP 200 with "status":"ok" (a fresh loop says "degraded" until it has ticked)
}

// Health reads /healthz once.
func (f *Fwsim) Health(ctx context.Context) (Healthz, error) {
	return ReadHealthz(ctx, f.URL+"/healthz")
}

// ReadHealthz reads a Featherweight /healthz (fwsim's or a real backend's) once.
func ReadHealthz(ctx context.Context, url string) (Healthz, error) {
	var h Healthz
	body, status, err := HTTPGet(ctx, url, maxHealthzBody)
	if err != nil {
		return h, err
	}
	h.Status, h.Body = status, strings.TrimSpace(string(body))
	var v struct {
		Status string `json:"status"`
	}
	h.OK = status == http.StatusOK && json.Unmarshal(body, &v) == nil && v.Status == "ok"
	return h, nil
}

// WaitHealthy polls a /healthz until it reports ok or timeout passes, and returns the last answer.
// A backend that is still degraded after timeout is not an error: the caller decides (the bundled
// scenario's Hz thresholds judge it).
func WaitHealthy(ctx context.Context, url string, timeout time.Duration) (Healthz, error) {
	deadline := time.Now().Add(timeout)
	for {
		h, err := ReadHealthz(ctx, url)
		if (err == nil && h.OK) || time.Now().After(deadline) {
			return h, err
		}
		select {
		case <-ctx.Done():
			return h, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lockedWriter serialises the writes of fwsim's two output streams; a nil w discards.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	if l.w == nil {
		return len(p), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// maxHealthzBody bounds a /healthz answer (a small JSON object).
const maxHealthzBody = 1 << 20

// HTTPGet GETs url and returns at most limit bytes of its body, and its status.
func HTTPGet(ctx context.Context, url string, limit int64) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	return body, resp.StatusCode, err
}
