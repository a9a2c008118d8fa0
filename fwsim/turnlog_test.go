package fwsim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// getTurns reads /debug/turns: the timings and the trailing dropped count.
func getTurns(t *testing.T, ts testServer) ([]fwsim.TurnTiming, uint64) {
	t.Helper()
	resp, err := httpGet(t, ts.http("/debug/turns"))
	require.NoError(t, err)
	defer closeQuietly(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	recs, dropped, err := fwsim.ReadTurns(resp.Body)
	require.NoError(t, err)
	return recs, dropped
}

func TestTurnTimingsRecordFirstTokenAndGaps(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) {
		c.RecordTurns = 2
		c.TTFT = 30 * time.Millisecond
		c.ITL = 5 * time.Millisecond
	})
	ws := dial(t, ts.ws("/api/chat"))
	sent, firstRead := map[string]time.Time{}, map[string]time.Time{}
	for _, p := range []string{"m1", "m2", "m3"} {
		sent["id-"+p] = time.Now()
		r := runTurn(t, ws, drivers[0], p) // messageId "id-"+p
		require.Equal(t, kDone, r.end, "turn %s", p)
		firstRead["id-"+p] = r.tokenAts[0]
		require.GreaterOrEqual(t, r.tokenAts[0].Sub(sent["id-"+p]), 30*time.Millisecond,
			"the server waits its TTFT: load only adds to it")
	}
	// The server logs a turn just after writing its terminal frame: wait until the third is counted.
	var recs []fwsim.TurnTiming
	var dropped uint64
	require.Eventually(t, func() bool {
		recs, dropped = getTurns(t, ts)
		return len(recs)+int(dropped) == 3
	}, 5*time.Second, 10*time.Millisecond)
	require.Len(t, recs, 2)
	require.Equal(t, uint64(1), dropped)
	for i, r := range recs {
		require.Equal(t, []string{"id-m1", "id-m2"}[i], r.ID)
		require.Equal(t, "/api/chat", r.Path)
		require.Equal(t, "completed", r.Outcome)
		require.Equal(t, 5, r.Tokens)
		require.Len(t, r.ITLMicros, 4)
		require.GreaterOrEqual(t, r.TTFT(), 30*time.Millisecond)
		// The server read the prompt after the client began to send it, and began to write the first
		// token, 30 ms or more after that read, before the client read it. (FirstToken is when the
		// write returned, which a loaded machine can delay past the client's read.)
		require.GreaterOrEqual(t, r.Received, sent[r.ID].UnixNano())
		require.LessOrEqual(t, r.Received+(30*time.Millisecond).Nanoseconds(), firstRead[r.ID].UnixNano())
		for _, g := range r.ITLMicros {
			require.GreaterOrEqual(t, g, int32(4000))
		}
	}
}

func TestTurnTimingsOffByDefault(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ws := dial(t, ts.ws("/api/chat"))
	require.Equal(t, kDone, runTurn(t, ws, drivers[0], "m1").end)
	recs, dropped := getTurns(t, ts)
	require.Empty(t, recs)
	require.Zero(t, dropped)
}
