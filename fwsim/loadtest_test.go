//go:build loadtest

// The 1,000-connection measurement of docs/fwsim.md. Built only with -tags loadtest, so `make test`
// neither runs nor skips it.

package fwsim_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// TestLoad holds N streaming orchestrator connections against a running fwsim and reports the
// achieved loop Hz, server CPU and RSS (read from the server's own /metrics). It is skipped unless
// FWSIM_LOAD_ADDR is set:
//
//	go -C fwsim build -o /tmp/fwsim ./cmd/fwsim && /tmp/fwsim -addr 127.0.0.1:18080 &
//	FWSIM_LOAD_ADDR=127.0.0.1:18080 FWSIM_LOAD_CONNS=1000 FWSIM_LOAD_DURATION=30s \
//	  go -C fwsim test -tags loadtest -run TestLoad -v -timeout 10m .
func TestLoad(t *testing.T) {
	addr := os.Getenv("FWSIM_LOAD_ADDR")
	if addr == "" {
		t.Fatal("set FWSIM_LOAD_ADDR=host:port of a running fwsim to run the load test")
	}
	conns := envInt(t, "FWSIM_LOAD_CONNS", 1000)
	dur := envDuration(t, "FWSIM_LOAD_DURATION", 30*time.Second)
	idle := envDuration(t, "FWSIM_LOAD_IDLE", 5*time.Second)

	idleStats := scrapeFor(t, addr, idle, nil)
	t.Logf("idle: %s", idleStats)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var turns, tokens, failures atomic.Uint64
	var connected sync.WaitGroup
	var wg sync.WaitGroup
	connected.Add(conns)
	sem := make(chan struct{}, 64)
	for i := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			ws, resp, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+"/api/chat", nil)
			if resp != nil {
				_ = resp.Body.Close()
			}
			<-sem
			connected.Done()
			if err != nil {
				failures.Add(1)
				return
			}
			defer func() { _ = ws.Close() }()
			go func() { <-ctx.Done(); _ = ws.Close() }()
			for n := 0; ctx.Err() == nil; n++ {
				msg := fmt.Sprintf(`{"type":"user_message","content":"load prompt %d-%d","messageId":"m-%d-%d","timestamp":%q}`,
					i, n, i, n, time.Now().UTC().Format(time.RFC3339Nano))
				if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
					return
				}
				for {
					_, data, err := ws.ReadMessage()
					if err != nil {
						return
					}
					if bytes.Contains(data, []byte(`"type":"token"`)) {
						tokens.Add(1)
						continue
					}
					if bytes.Contains(data, []byte(`"type":"complete"`)) {
						turns.Add(1)
						break
					}
					failures.Add(1)
					break
				}
			}
		})
	}
	connected.Wait()
	t.Logf("%d connections dialled (%d failed)", conns, failures.Load())
	time.Sleep(2 * time.Second) // settle
	t0turns, t0tokens := turns.Load(), tokens.Load()
	start := time.Now()
	load := scrapeFor(t, addr, dur, nil)
	el := time.Since(start).Seconds()
	t.Logf("load (%d conns, %s): %s; turns/s %.0f, tokens/s %.0f, failures %d",
		conns, dur, load, float64(turns.Load()-t0turns)/el, float64(tokens.Load()-t0tokens)/el, failures.Load())
	cancel()
	wg.Wait()
	require.Zero(t, failures.Load(), "client-side failures")
}

type loadStats struct {
	minHz, maxHz, sumHz float64
	n                   int
	cpu0, cpu1          float64
	t0, t1              time.Time
	maxRSS              float64
}

func (s loadStats) String() string {
	if s.n == 0 {
		return "no samples"
	}
	return fmt.Sprintf("hz avg %.2f min %.2f max %.2f (%d scrapes), server CPU %.0f%% of one core, max RSS %.1f MiB",
		s.sumHz/float64(s.n), s.minHz, s.maxHz, s.n,
		100*(s.cpu1-s.cpu0)/s.t1.Sub(s.t0).Seconds(), s.maxRSS/(1<<20))
}

// scrapeFor scrapes /metrics once a second for d.
func scrapeFor(t *testing.T, addr string, d time.Duration, _ any) loadStats {
	t.Helper()
	var s loadStats
	end := time.Now().Add(d)
	for first := true; time.Now().Before(end) || first; first = false {
		fams := scrape(t, addr)
		hz := fams["consciousness_loop_hz"].GetMetric()[0].GetGauge().GetValue()
		cpu := fams["process_cpu_seconds_total"].GetMetric()[0].GetCounter().GetValue()
		rss := fams["process_resident_memory_bytes"].GetMetric()[0].GetGauge().GetValue()
		now := time.Now()
		if s.n == 0 {
			s.minHz, s.maxHz, s.cpu0, s.t0 = hz, hz, cpu, now
		}
		s.minHz, s.maxHz = min(s.minHz, hz), max(s.maxHz, hz)
		s.sumHz += hz
		s.n++
		s.cpu1, s.t1 = cpu, now
		s.maxRSS = max(s.maxRSS, rss)
		time.Sleep(time.Second)
	}
	return s
}

func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/metrics", nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err)
	return fams
}

func envInt(t *testing.T, key string, def int) int {
	if v := os.Getenv(key); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, key)
		return n
	}
	return def
}

func envDuration(t *testing.T, key string, def time.Duration) time.Duration {
	if v := os.Getenv(key); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, key)
		return d
	}
	return def
}
