package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/featherweight/xk6-featherweight/fwsim"
	"github.com/featherweight/xk6-featherweight/internal/process"
)

// The fwsim launcher and the /healthz reader are the extension's (internal/process), shared with
// k6 x featherweight capacity.
type (
	// FwsimOptions describe an fwsim process to start.
	FwsimOptions = process.FwsimOptions
	// Healthz is what a /healthz answered.
	Healthz = process.Healthz
)

// ErrFwsim is matched by the errors of an fwsim that did not start.
var ErrFwsim = process.ErrFwsim

// Fwsim is a running fwsim process, stopped with Stop, with the debug endpoints the tests read.
type Fwsim struct {
	*process.Fwsim
}

// StartFwsim starts fwsim and returns once it listens (process.StartFwsim).
func StartFwsim(ctx context.Context, o FwsimOptions) (*Fwsim, error) {
	f, err := process.StartFwsim(ctx, o)
	if err != nil {
		return nil, err
	}
	return &Fwsim{Fwsim: f}, nil
}

// ReadHealthz reads a Featherweight /healthz (fwsim's or a real backend's) once.
func ReadHealthz(ctx context.Context, url string) (Healthz, error) {
	return process.ReadHealthz(ctx, url)
}

// WaitHealthy polls a /healthz until it reports ok or timeout passes (process.WaitHealthy).
func WaitHealthy(ctx context.Context, url string, timeout time.Duration) (Healthz, error) {
	return process.WaitHealthy(ctx, url, timeout)
}

// Truth reads fwsim's ground truth (GET /debug/truth).
func (f *Fwsim) Truth(ctx context.Context) (fwsim.Truth, error) {
	var t fwsim.Truth
	body, status, err := httpGet(ctx, f.URL+"/debug/truth")
	if err != nil {
		return t, err
	}
	if status != http.StatusOK {
		return t, fmt.Errorf("GET /debug/truth: HTTP %d", status)
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return t, fmt.Errorf("GET /debug/truth: %w", err)
	}
	return t, nil
}

// TurnsNDJSON reads fwsim's recorded turn timing as served (GET /debug/turns, JSON lines);
// fwsim.ReadTurns decodes it.
func (f *Fwsim) TurnsNDJSON(ctx context.Context) ([]byte, error) {
	body, status, err := httpGet(ctx, f.URL+"/debug/turns")
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET /debug/turns: HTTP %d", status)
	}
	return body, err
}

// maxBody bounds what the harness reads from an HTTP answer (/debug/turns of a long run is large).
const maxBody = 1 << 30

// httpGet GETs url and returns its body (at most maxBody bytes) and status.
func httpGet(ctx context.Context, url string) ([]byte, int, error) {
	return process.HTTPGet(ctx, url, maxBody)
}
