package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// PrometheusOptions configures a Prometheus server started for a test or a measurement.
type PrometheusOptions struct {
	// Binary is the prometheus executable. Default: "prometheus" on PATH (see LookPrometheus).
	Binary string
	// ScrapeTargets are host:port targets scraped at /metrics under the job "fwsim". Default: none.
	ScrapeTargets []string
	// ScrapeInterval is the global scrape (and evaluation) interval. Default: 1s.
	ScrapeInterval time.Duration
	// RemoteWriteReceiver accepts remote write on /api/v1/write (--web.enable-remote-write-receiver).
	RemoteWriteReceiver bool
	// NativeHistograms enables native histograms (--enable-feature=native-histograms).
	NativeHistograms bool
	// LogPath receives Prometheus's own log. Default: a file in the server's temporary directory.
	LogPath string
	// ReadyTimeout bounds the wait for /-/ready. Default: 30s.
	ReadyTimeout time.Duration
}

// Prometheus is a Prometheus server on 127.0.0.1, started by StartPrometheus.
type Prometheus struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string

	cancel   context.CancelFunc // stops the process (SIGINT, killed after its grace)
	done     chan struct{}      // closed when the process has exited
	dir      string
	stopOnce sync.Once
	stopErr  error
}

// ErrNoPrometheus reports that no prometheus binary was found.
var ErrNoPrometheus = errors.New("prometheus not found on PATH (Debian: apt-get install prometheus)")

// LookPrometheus returns the path of the prometheus binary, or ErrNoPrometheus.
func LookPrometheus() (string, error) {
	p, err := exec.LookPath("prometheus")
	if err != nil {
		return "", ErrNoPrometheus
	}
	return p, nil
}

// StartPrometheus starts a Prometheus server on a free loopback port with a temporary data directory
// and waits until it answers /-/ready. Stop it with Stop; canceling ctx kills it too.
func StartPrometheus(ctx context.Context, opts PrometheusOptions) (*Prometheus, error) {
	opts = opts.withDefaults()
	if opts.Binary == "" {
		bin, err := LookPrometheus()
		if err != nil {
			return nil, err
		}
		opts.Binary = bin
	}
	dir, err := os.MkdirTemp("", "fw-prometheus-")
	if err != nil {
		return nil, fmt.Errorf("prometheus temp dir: %w", err)
	}
	p, err := startPrometheusIn(ctx, dir, opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

func (o PrometheusOptions) withDefaults() PrometheusOptions {
	if o.ScrapeInterval <= 0 {
		o.ScrapeInterval = time.Second
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 30 * time.Second
	}
	return o
}

func startPrometheusIn(ctx context.Context, dir string, opts PrometheusOptions) (*Prometheus, error) {
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, prometheusConfig(opts), 0o600); err != nil {
		return nil, fmt.Errorf("prometheus config: %w", err)
	}
	addr, err := freeLoopbackAddr(ctx)
	if err != nil {
		return nil, err
	}
	logPath := opts.LogPath
	if logPath == "" {
		logPath = filepath.Join(dir, "prometheus.log")
	}
	logFile, err := os.Create(logPath) // #nosec G304 -- the caller chose the log path
	if err != nil {
		return nil, fmt.Errorf("prometheus log: %w", err)
	}
	args := []string{
		"--config.file=" + cfgPath,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
	}
	if opts.RemoteWriteReceiver {
		args = append(args, "--web.enable-remote-write-receiver")
	}
	if opts.NativeHistograms {
		args = append(args, "--enable-feature=native-histograms")
	}
	pctx, cancel := context.WithCancel(ctx)
	proc, err := StartProcess(pctx, ProcessOptions{
		Path: opts.Binary, Args: args, Stdout: logFile, Stderr: logFile, StopGrace: 10 * time.Second,
	})
	if err != nil {
		cancel()
		_ = logFile.Close()
		return nil, err
	}
	p := &Prometheus{URL: "http://" + addr, cancel: cancel, dir: dir, done: make(chan struct{})}
	go func() {
		_, _ = proc.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	if err := p.waitReady(ctx, opts.ReadyTimeout); err != nil {
		_ = p.Stop()
		return nil, fmt.Errorf("%w (log: %s)", err, tail(logPath, 2048))
	}
	return p, nil
}

func prometheusConfig(opts PrometheusOptions) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n",
		opts.ScrapeInterval, opts.ScrapeInterval)
	if len(opts.ScrapeTargets) == 0 {
		b.WriteString("scrape_configs: []\n")
		return b.Bytes()
	}
	quoted := make([]string, len(opts.ScrapeTargets))
	for i, t := range opts.ScrapeTargets {
		quoted[i] = fmt.Sprintf("%q", t)
	}
	fmt.Fprintf(&b, "scrape_configs:\n  - job_name: fwsim\n    static_configs:\n      - targets: [%s]\n",
		strings.Join(quoted, ", "))
	return b.Bytes()
}

func freeLoopbackAddr(ctx context.Context) (string, error) {
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	return addr, nil
}

func (p *Prometheus) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, status, err := httpGet(ctx, p.URL+"/-/ready"); err == nil && status == http.StatusOK {
			return nil
		}
		select {
		case <-p.done:
			return errors.New("prometheus exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("prometheus not ready after %s", timeout)
		case <-tick.C:
		}
	}
}

// Stop terminates the server (SIGINT, killed after 10 s), waits for it and removes its data
// directory. It is safe to call twice.
func (p *Prometheus) Stop() error {
	p.stopOnce.Do(func() {
		p.cancel()
		<-p.done
		p.stopErr = os.RemoveAll(p.dir)
	})
	return p.stopErr
}

// QueryError is an error answer of the Prometheus HTTP API.
type QueryError struct {
	Status    int
	ErrorType string
	Message   string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("prometheus query: HTTP %d %s: %s", e.Status, e.ErrorType, e.Message)
}

// Query runs a PromQL instant query and returns the API's data.result (a vector, matrix or scalar as
// JSON; decode it with github.com/prometheus/common/model types).
func (p *Prometheus) Query(ctx context.Context, promql string) (json.RawMessage, error) {
	form := url.Values{"query": {promql}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/api/v1/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("prometheus query: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	var body struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			Result json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("prometheus query: decode: %w", err)
	}
	if body.Status != "success" {
		return nil, &QueryError{Status: resp.StatusCode, ErrorType: body.ErrorType, Message: body.Error}
	}
	return body.Data.Result, nil
}

// tail returns the last n bytes of a file, for error messages.
func tail(path string, n int64) string {
	f, err := os.Open(path) // #nosec G304 -- a log file this package wrote
	if err != nil {
		return err.Error()
	}
	defer func() { _ = f.Close() }()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return strings.TrimSpace(string(b))
}
