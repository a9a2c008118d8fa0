package fwsim_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

func metricFamilies(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := httpGet(t, url)
	require.NoError(t, err)
	defer closeQuietly(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

func appLabel(m *dto.Metric) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == "app" {
			return l.GetValue()
		}
	}
	return ""
}

func TestMetricsHz(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		hz      float64
		catchUp time.Duration
		want    float64
	}{{"healthy", 100, 200 * time.Millisecond, 100}, {"degraded", 60, 200 * time.Millisecond, 60}, {"no catch-up", 100, 0, 100}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, func(c *fwsim.Config) {
				c.Hz, c.LoopCatchUp, c.HzWindow = tc.hz, tc.catchUp, 300*time.Millisecond
			})
			time.Sleep(400 * time.Millisecond) // fill the window
			var got float64
			require.Eventually(t, func() bool {
				fams := metricFamilies(t, ts.http("/metrics"))
				g := fams["consciousness_loop_hz"]
				require.NotNil(t, g)
				require.Equal(t, dto.MetricType_GAUGE, g.GetType())
				require.Len(t, g.GetMetric(), 1)
				require.Equal(t, fwsim.AppLabel, appLabel(g.GetMetric()[0]))
				got = g.GetMetric()[0].GetGauge().GetValue()
				return got > tc.want*0.95 && got < tc.want*1.05
			}, 5*time.Second, 50*time.Millisecond, "hz=%v", tc.hz)

			fams := metricFamilies(t, ts.http("/metrics"))
			ticks := fams["consciousness_loop_ticks_total"]
			require.Equal(t, dto.MetricType_COUNTER, ticks.GetType())
			require.Equal(t, fwsim.AppLabel, appLabel(ticks.GetMetric()[0]))
			require.Greater(t, ticks.GetMetric()[0].GetCounter().GetValue(), 10.0)
			h := fams["consciousness_loop_tick_duration_seconds"]
			require.Equal(t, dto.MetricType_HISTOGRAM, h.GetType())
			require.Greater(t, h.GetMetric()[0].GetHistogram().GetSampleCount(), uint64(10))
			for _, name := range []string{
				"go_goroutines", "process_resident_memory_bytes",
				"fwsim_chat_connections_active", "fwsim_chat_turns_total", "fwsim_chat_tokens_sent_total",
			} {
				require.Contains(t, fams, name)
			}
		})
	}
}

type healthz struct {
	Status    string   `json:"status"`
	Hz        *float64 `json:"hz"`
	Timestamp string   `json:"timestamp"`
	Uptime    *float64 `json:"uptime"`
	Backend   string   `json:"backend"`
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hz     float64
		code   int
		status string
	}{{100, http.StatusOK, "ok"}, {60, http.StatusServiceUnavailable, "degraded"}} {
		t.Run(http.StatusText(tc.code), func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, func(c *fwsim.Config) { c.Hz = tc.hz; c.HzWindow = 300 * time.Millisecond })
			time.Sleep(400 * time.Millisecond)
			require.Eventually(t, func() bool {
				resp, err := httpGet(t, ts.http("/healthz"))
				require.NoError(t, err)
				defer closeQuietly(resp.Body)
				var h healthz
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&h))
				require.NotNil(t, h.Hz)
				require.NotNil(t, h.Uptime)
				require.Equal(t, "fwsim", h.Backend)
				_, err = time.Parse(time.RFC3339Nano, h.Timestamp)
				require.NoError(t, err)
				return resp.StatusCode == tc.code && h.Status == tc.status && *h.Hz > tc.hz*0.95 && *h.Hz < tc.hz*1.05
			}, 5*time.Second, 50*time.Millisecond)
		})
	}
}

func TestDisableEndpoints(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.DisableMetrics = true; c.DisableHealthz = true })
	for _, p := range []string{"/metrics", "/healthz"} {
		resp, err := httpGet(t, ts.http(p))
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode, p)
	}
	resp, err := httpGet(t, ts.http("/debug/truth"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestTruthAfterKnownExchange(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	a := dial(t, ts.ws("/api/chat"))
	b := dial(t, ts.ws("/v1/chat/stream"))
	require.Equal(t, kDone, runTurn(t, a, drivers[0], "one").end)
	require.Equal(t, kDone, runTurn(t, a, drivers[0], "two").end)
	send(t, a, `{"type":"chat","content":"x"}`)
	require.Equal(t, "error", readJSON(t, a)["type"])
	require.Equal(t, kDone, runTurn(t, b, drivers[2], "three").end)
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())

	var tr fwsim.Truth
	require.Eventually(t, func() bool { tr = getTruth(t, ts); return tr.Connections.Active == 0 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, fwsim.TruthConnections{Opened: 2, Active: 0, Rejected: 0}, tr.Connections)
	require.EqualValues(t, 4, tr.Turns.Started)
	require.EqualValues(t, 3, tr.Turns.Completed)
	require.EqualValues(t, 1, tr.Turns.Failed)
	require.EqualValues(t, 0, tr.Turns.Aborted)
	require.Equal(t, map[string]uint64{"error_frame": 0, "cut": 0, "malformed": 0, "invalid_request": 1, "stall": 0},
		tr.Turns.FailedByCause)
	require.EqualValues(t, 15, tr.TokensSent)
	require.Equal(t, fwsim.TruthPath{Started: 3, Completed: 2, Failed: 1}, tr.ByPath["/api/chat"])
	require.Equal(t, fwsim.TruthPath{Started: 1, Completed: 1}, tr.ByPath["/v1/chat/stream"])
	require.Greater(t, tr.Loop.Ticks, uint64(0))

	// The raw JSON keeps the contract's keys.
	resp, err := httpGet(t, ts.http("/debug/truth"))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(body, &raw))
	require.Contains(t, raw, "tokens_sent")
	require.Contains(t, raw, "by_path")
	for _, k := range []string{"opened", "active", "rejected"} {
		require.Contains(t, raw["connections"].(map[string]any), k)
	}
	for _, k := range []string{"started", "completed", "failed", "failed_by_cause"} {
		require.Contains(t, raw["turns"].(map[string]any), k)
	}
	require.Contains(t, raw["loop"].(map[string]any), "hz")
	require.Contains(t, raw["loop"].(map[string]any), "ticks")
}

func TestCloseClosesWebsockets(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.Tokens = 1000; c.ITL = 5 * time.Millisecond })
	ws := dial(t, ts.ws("/api/chat"))
	send(t, ws, orchestratorMsg("long", "m"))
	_, _, err := read(t, ws) // streaming
	require.NoError(t, err)
	require.NoError(t, ts.Close())
	for err == nil {
		_, _, err = read(t, ws)
	}
	require.True(t, websocket.IsCloseError(err, websocket.CloseGoingAway), "got %v", err)
	tr := ts.Truth()
	require.EqualValues(t, 0, tr.Connections.Active)
	require.EqualValues(t, 1, tr.Turns.Aborted)

	_, resp, err := websocket.DefaultDialer.Dial(ts.ws("/api/chat"), nil)
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	_ = resp.Body.Close()
	require.ErrorIs(t, ts.Start(), fwsim.ErrClosed)
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		field  string
		mutate func(*fwsim.Config)
	}{
		{"Hz", func(c *fwsim.Config) { c.Hz = 0 }},
		{"HzWindow", func(c *fwsim.Config) { c.HzWindow = 0 }},
		{"Tokens", func(c *fwsim.Config) { c.Tokens = 0 }},
		{"TTFT", func(c *fwsim.Config) { c.TTFT = -1 }},
		{"ITL", func(c *fwsim.Config) { c.ITL = -1 }},
		{"Jitter", func(c *fwsim.Config) { c.Jitter = 1.5 }},
		{"TokenBytes", func(c *fwsim.Config) { c.TokenBytes = 0 }},
		{"ErrorRate", func(c *fwsim.Config) { c.ErrorRate = -0.1 }},
		{"CutRate", func(c *fwsim.Config) { c.CutRate = 2 }},
		{"RejectRate", func(c *fwsim.Config) { c.RejectRate = 2 }},
		{"RejectStatus", func(c *fwsim.Config) { c.RejectStatus = 200 }},
		{"MalformedRate", func(c *fwsim.Config) { c.MalformedRate = 2 }},
		{"StallRate", func(c *fwsim.Config) { c.StallRate = 2 }},
		{"Stall", func(c *fwsim.Config) { c.Stall = -1 }},
		{"EndSentinel", func(c *fwsim.Config) { c.EndSentinel = "" }},
		{"MaxConns", func(c *fwsim.Config) { c.MaxConns = -1 }},
		{"LoopCatchUp", func(c *fwsim.Config) { c.LoopCatchUp = -1 }},
		{"WriteTimeout", func(c *fwsim.Config) { c.WriteTimeout = 0 }},
		{"ReadLimit", func(c *fwsim.Config) { c.ReadLimit = 1 }},
		{"IdleTimeout", func(c *fwsim.Config) { c.IdleTimeout = 0 }},
		{"HandshakeTimeout", func(c *fwsim.Config) { c.HandshakeTimeout = -1 }},
		{"MaxPendingItems", func(c *fwsim.Config) { c.MaxPendingItems = 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			t.Parallel()
			cfg := fwsim.DefaultConfig()
			tc.mutate(&cfg)
			_, err := fwsim.New(cfg)
			require.ErrorIs(t, err, fwsim.ErrInvalidConfig)
			var ce *fwsim.ConfigError
			require.True(t, errors.As(err, &ce))
			require.Equal(t, tc.field, ce.Field)
		})
	}
	_, err := fwsim.New(fwsim.Config{})
	require.ErrorIs(t, err, fwsim.ErrInvalidConfig, "the zero Config is not valid")
	s, err := fwsim.New(fwsim.DefaultConfig())
	require.NoError(t, err)
	require.NotZero(t, s.Seed(), "seed 0 means time-based")
	require.NoError(t, s.Close())
}
