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
			Name:        "consciousness_loop_missed_ticks_total",
			Help:        "Ticks skipped because the loop ran later than its catch-up bound.",
			ConstLabels: app,
		}, func() float64 { return float64(s.loop.missed.Load()) }),
		&chatCollector{s: s, d: newChatDescs()},
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

// chatDescs are the descriptors of the chat collector's metrics.
type chatDescs struct {
	active, opened, rejected, idleClosed, turns, faults, tokens *prometheus.Desc
}

func newChatDescs() chatDescs {
	app := prometheus.Labels{"app": AppLabel}
	return chatDescs{
		active: prometheus.NewDesc("fwsim_chat_connections_active", "Open WebSocket connections.",
			nil, app),
		opened: prometheus.NewDesc("fwsim_chat_connections_opened_total", "WebSocket upgrades that succeeded.",
			nil, app),
		rejected: prometheus.NewDesc("fwsim_chat_connections_rejected_total", "WebSocket upgrades refused.",
			nil, app),
		idleClosed: prometheus.NewDesc("fwsim_chat_connections_idle_closed_total",
			"WebSockets closed by the idle timeout.", nil, app),
		turns: prometheus.NewDesc("fwsim_chat_turns_total",
			"Turns by endpoint path and outcome (started, completed, failed, aborted).",
			[]string{"path", "outcome"}, app),
		faults: prometheus.NewDesc("fwsim_chat_turn_faults_total", "Turns by fault cause (see docs/fwsim.md).",
			[]string{"cause"}, app),
		tokens: prometheus.NewDesc("fwsim_chat_tokens_sent_total", "Token-bearing frames sent.",
			nil, app),
	}
}

// chatCollector exports the Truth counters.
type chatCollector struct {
	s *Server
	d chatDescs
}

func (c *chatCollector) Describe(ch chan<- *prometheus.Desc) {
	d := &c.d
	for _, desc := range []*prometheus.Desc{d.active, d.opened, d.rejected, d.idleClosed, d.turns, d.faults, d.tokens} {
		ch <- desc
	}
}

func (c *chatCollector) Collect(ch chan<- prometheus.Metric) {
	k, d := &c.s.counters, &c.d
	ch <- prometheus.MustNewConstMetric(d.active, prometheus.GaugeValue, float64(k.active.Load()))
	ch <- prometheus.MustNewConstMetric(d.opened, prometheus.CounterValue, float64(k.opened.Load()))
	ch <- prometheus.MustNewConstMetric(d.rejected, prometheus.CounterValue, float64(k.rejected.Load()))
	ch <- prometheus.MustNewConstMetric(d.idleClosed, prometheus.CounterValue, float64(k.idleClosed.Load()))
	ch <- prometheus.MustNewConstMetric(d.tokens, prometheus.CounterValue, float64(k.tokens.Load()))
	for i := range k.paths {
		p := &k.paths[i]
		path := protocolID(i).path()
		turns := func(n uint64, outcome string) prometheus.Metric {
			return prometheus.MustNewConstMetric(d.turns, prometheus.CounterValue, float64(n), path, outcome)
		}
		ch <- turns(p.started.Load(), "started")
		ch <- turns(p.completed.Load(), "completed")
		ch <- turns(p.failed.Load(), "failed")
		ch <- turns(p.aborted.Load(), "aborted")
	}
	for i := range k.causes {
		ch <- prometheus.MustNewConstMetric(d.faults, prometheus.CounterValue, float64(k.causes[i].Load()),
			Cause(i).String())
	}
}
