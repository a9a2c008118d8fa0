package fwsim_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// With 6 streams against a capacity of 2, the loop runs at a third of its rate, replies slow down
// threefold, and both the ground truth and /metrics show it; when the streams end it recovers.
func TestCapacityOverloadSlowsLoopAndReplies(t *testing.T) {
	t.Parallel()
	const streams, limit = 6, 2
	ts := startServer(t, func(c *fwsim.Config) {
		c.Capacity = limit
		c.Tokens = 200
		c.TTFT, c.ITL = 5*time.Millisecond, 5*time.Millisecond // 1 s per reply at full speed
		c.HzWindow = 300 * time.Millisecond
	})
	// A full window of ticks first (the first window's reading is over the elapsed time). How fast
	// the loop runs depends on the machine's load; what the overload does to it is asserted below
	// only in the direction load cannot fake.
	require.Eventually(t, func() bool { return getTruth(t, ts).Loop.Ticks > 50 }, 10*time.Second, 20*time.Millisecond)
	var wg sync.WaitGroup
	durations := make([]time.Duration, streams)
	for i := range streams {
		ws := dial(t, ts.ws("/api/chat"))
		wg.Go(func() {
			start := time.Now()
			if err := ws.WriteMessage(websocket.TextMessage, []byte(orchestratorMsg(fmt.Sprintf("p%d", i), fmt.Sprintf("m%d", i)))); err != nil {
				return
			}
			_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
			for {
				_, data, err := ws.ReadMessage()
				if err != nil {
					return
				}
				if strings.Contains(string(data), `"type":"complete"`) {
					durations[i] = time.Since(start)
					return
				}
			}
		})
	}
	require.Eventually(t, func() bool {
		tr := getTruth(t, ts)
		return tr.Capacity.Streams == streams && tr.Loop.Hz < 40
	}, 10*time.Second, 20*time.Millisecond, "the loop should fall to ~33 Hz under 3x overload")
	tr := getTruth(t, ts)
	require.Equal(t, int64(limit), tr.Capacity.Limit)
	require.InDelta(t, 3.0, tr.Capacity.Slowdown, 1e-9)
	require.LessOrEqual(t, tr.Loop.Hz, 100.0/3+6, "at most a third of the rate (a loaded machine only slows it further)")
	overloadedHz := tr.Loop.Hz

	fams := metricFamilies(t, ts.http("/metrics"))
	require.InDelta(t, float64(streams), fams["fwsim_chat_streams_active"].GetMetric()[0].GetGauge().GetValue(), 0)
	require.InDelta(t, float64(limit), fams["fwsim_capacity_streams"].GetMetric()[0].GetGauge().GetValue(), 0)
	require.InDelta(t, 3.0, fams["fwsim_capacity_slowdown"].GetMetric()[0].GetGauge().GetValue(), 1e-9)
	require.Greater(t, fams["consciousness_loop_missed_ticks_total"].GetMetric()[0].GetCounter().GetValue(), 10.0)

	wg.Wait()
	for i, d := range durations {
		// 1 s at full speed, 3 s at 3x; allow for the tail where fewer streams are left.
		require.Greater(t, d, 2500*time.Millisecond, "stream %d", i)
	}
	require.Eventually(t, func() bool {
		tr := getTruth(t, ts)
		// Above the overloaded reading on the same machine: without the slowdown the loop ticks
		// three times as often, whatever else the machine is doing.
		return tr.Capacity.Streams == 0 && tr.Capacity.Slowdown == 1 && tr.Loop.Hz > overloadedHz
	}, 10*time.Second, 20*time.Millisecond, "the loop recovers once the streams end")
}
