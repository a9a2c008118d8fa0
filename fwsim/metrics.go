package fwsim

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AppLabel is the value of the app label on every simulator metric.
const AppLabel = "featherweight-consciousness"

// newRegistry builds the server's own registry: the loop metrics, the chat metrics (read from the
// same atomics as Truth, so they never disagree) and the Go and process collectors.
func (s *Server) newRegistry() (*prometheus.Registry, prometheus.Histogram) {
	reg := prometheus.NewRegistry()
	app := prometheus.Labels{"app": AppLabel}
	tickDur := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        "consciousness_loop_tick_duration_seconds",
		Help:        "Time spent in the work of one loop tick.",
		ConstLabels: app,
		Buckets:     []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2},
	})
	s.loop.late = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        "consciousness_loop_tick_lateness_seconds",
		Help:        "How late each loop tick ran after its due time (scheduling jitter).",
		ConstLabels: app,
		Buckets:     []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1},
	})
	reg.MustRegister(
		tickDur, s.loop.late,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "consciousness_loop_hz", Help: "Achieved loop frequency over the sliding window, in Hz.",
			ConstLabels: app,
		}, s.loop.hz),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "consciousness_loop_target_hz", Help: "Configured loop frequency, in Hz.",
			ConstLabels: app,
		}, func() float64 { return s.cfg.Hz }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "consciousness_loop_ticks_total", Help: "Loop ticks since start.",
			ConstLabels: app,
		}, func() float64 { return float64(s.loop.ticks.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "consciousness_loop_missed_ticks_total", Help: "Ticks skipped because the loop ran later than its catch-up bound.",
			ConstLabels: app,
		}, func() float64 { return float64(s.loop.missed.Load()) }),
		&chatCollector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	reg.MustRegister(s.capacity.collectors(app)...)
	return reg, tickDur
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		Registry:            s.registry,
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 8,
	})
}

var (
	descActive = prometheus.NewDesc("fwsim_chat_connections_active", "Open WebSocket connections.",
		nil, prometheus.Labels{"app": AppLabel})
	descOpened = prometheus.NewDesc("fwsim_chat_connections_opened_total", "WebSocket upgrades that succeeded.",
		nil, prometheus.Labels{"app": AppLabel})
	descRejected = prometheus.NewDesc("fwsim_chat_connections_rejected_total", "WebSocket upgrades refused.",
		nil, prometheus.Labels{"app": AppLabel})
	descIdleClosed = prometheus.NewDesc("fwsim_chat_connections_idle_closed_total", "WebSockets closed by the idle timeout.",
		nil, prometheus.Labels{"app": AppLabel})
	descTurns = prometheus.NewDesc("fwsim_chat_turns_total", "Turns by endpoint path and outcome (started, completed, failed, aborted).",
		[]string{"path", "outcome"}, prometheus.Labels{"app": AppLabel})
	descFaults = prometheus.NewDesc("fwsim_chat_turn_faults_total", "Turns by fault cause (see docs/fwsim.md).",
		[]string{"cause"}, prometheus.Labels{"app": AppLabel})
	descTokens = prometheus.NewDesc("fwsim_chat_tokens_sent_total", "Token-bearing frames sent.",
		nil, prometheus.Labels{"app": AppLabel})
)

// chatCollector exports the Truth counters.
type chatCollector struct{ s *Server }

func (c *chatCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descActive, descOpened, descRejected, descIdleClosed, descTurns, descFaults, descTokens} {
		ch <- d
	}
}

func (c *chatCollector) Collect(ch chan<- prometheus.Metric) {
	k := &c.s.counters
	ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(k.active.Load()))
	ch <- prometheus.MustNewConstMetric(descOpened, prometheus.CounterValue, float64(k.opened.Load()))
	ch <- prometheus.MustNewConstMetric(descRejected, prometheus.CounterValue, float64(k.rejected.Load()))
	ch <- prometheus.MustNewConstMetric(descIdleClosed, prometheus.CounterValue, float64(k.idleClosed.Load()))
	ch <- prometheus.MustNewConstMetric(descTokens, prometheus.CounterValue, float64(k.tokens.Load()))
	for i := range k.paths {
		p := &k.paths[i]
		path := protocolPaths[i]
		ch <- prometheus.MustNewConstMetric(descTurns, prometheus.CounterValue, float64(p.started.Load()), path, "started")
		ch <- prometheus.MustNewConstMetric(descTurns, prometheus.CounterValue, float64(p.completed.Load()), path, "completed")
		ch <- prometheus.MustNewConstMetric(descTurns, prometheus.CounterValue, float64(p.failed.Load()), path, "failed")
		ch <- prometheus.MustNewConstMetric(descTurns, prometheus.CounterValue, float64(p.aborted.Load()), path, "aborted")
	}
	for i := range k.causes {
		ch <- prometheus.MustNewConstMetric(descFaults, prometheus.CounterValue, float64(k.causes[i].Load()), causeNames[i])
	}
}
