package fwsim

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// capacityModel is fwsim's deterministic saturation model (Config.Capacity; docs/capacity.md).
//
// S is the number of streams (turns) in progress and N the capacity. While S <= N nothing changes.
// Past N the server behaves like one shared processor that N streams fill exactly:
//   - the loop gets N/S of its ticks: each due tick adds N to a credit and runs only when the
//     credit reaches S, which it then pays (the others are skipped and counted as missed), so the
//     achieved frequency is Hz*N/S, without randomness;
//   - every reply delay (TTFT and each ITL) is stretched by S/N: replies queue behind one another,
//     so time to first token and inter-token latency grow linearly with the overload.
//
// There is no randomness and no hidden state beyond S, so a test can compute the expected figures.
type capacityModel struct {
	limit   int64        // N; 0 = no capacity limit
	streams atomic.Int64 // S
	credit  int64        // loop goroutine only: N per due tick, S per tick run
}

// slowdown returns S/N when S > N, else 1.
func (m *capacityModel) slowdown() float64 {
	s := m.streams.Load()
	if m.limit <= 0 || s <= m.limit {
		return 1
	}
	return float64(s) / float64(m.limit)
}

// admit decides whether the loop runs the tick that is due now (called by the loop goroutine only).
func (m *capacityModel) admit() bool {
	s := m.streams.Load()
	if m.limit <= 0 || s <= m.limit {
		m.credit = 0
		return true
	}
	// Integer credit keeps the ratio exact: N of every S due ticks run.
	m.credit += m.limit
	if m.credit >= s {
		m.credit -= s
		return true
	}
	return false
}

// TruthCapacity is the capacity model's state in the ground truth.
type TruthCapacity struct {
	Limit   int64 `json:"limit"`   // Config.Capacity (0 = no limit)
	Streams int64 `json:"streams"` // turns in progress right now
	// Slowdown is S/N past the limit, else 1: the loop runs at Hz/slowdown, replies are slowdown times slower.
	Slowdown float64 `json:"slowdown"`
}

func (m *capacityModel) truth() TruthCapacity {
	return TruthCapacity{Limit: m.limit, Streams: m.streams.Load(), Slowdown: m.slowdown()}
}

// capacityCollectors export the model on /metrics.
func (m *capacityModel) collectors(app prometheus.Labels) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fwsim_chat_streams_active", Help: "Turns (reply streams) in progress.",
			ConstLabels: app,
		}, func() float64 { return float64(m.streams.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fwsim_capacity_streams", Help: "Configured capacity in concurrent streams (0 = no limit).",
			ConstLabels: app,
		}, func() float64 { return float64(m.limit) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fwsim_capacity_slowdown",
			Help: "Streams in progress over capacity when above it, else 1: " +
				"the loop runs at target/slowdown Hz and reply delays are multiplied by it.",
			ConstLabels: app,
		}, m.slowdown),
	}
}

// stretch multiplies a reply delay by the current slowdown.
func (m *capacityModel) stretch(d time.Duration) time.Duration {
	if f := m.slowdown(); f > 1 {
		return time.Duration(float64(d) * f)
	}
	return d
}
