package fwsim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// TestFaultsAtRateOne shows each fault knob at rate 1.0 doing what it says, in every framing.
func TestFaultsAtRateOne(t *testing.T) {
	t.Parallel()
	const stall = 300 * time.Millisecond
	faults := []struct {
		name   string
		config func(*fwsim.Config)
		check  func(t *testing.T, ts testServer, ws *websocket.Conn, d driver)
	}{
		{
			name:   "error frame",
			config: func(c *fwsim.Config) { c.ErrorRate = 1 },
			check: func(t *testing.T, ts testServer, ws *websocket.Conn, d driver) {
				for range 2 { // the connection survives an error frame
					r := runTurn(t, ws, d, "p")
					require.NoError(t, r.readErr)
					require.Equal(t, kError, r.end)
					require.GreaterOrEqual(t, r.tokens, 1, "mid-stream: after the first token")
					require.Less(t, r.tokens, 5)
				}
				require.Eventually(t, func() bool {
					tr := ts.Truth()
					return tr.Turns.Failed == 2 && tr.Turns.FailedByCause["error_frame"] == 2
				}, 5*time.Second, 10*time.Millisecond)
			},
		},
		{
			name:   "cut",
			config: func(c *fwsim.Config) { c.CutRate = 1 },
			check: func(t *testing.T, ts testServer, ws *websocket.Conn, d driver) {
				r := runTurn(t, ws, d, "p")
				require.Error(t, r.readErr)
				require.True(t, websocket.IsCloseError(r.readErr, websocket.CloseAbnormalClosure),
					"no close frame: the client sees 1006, got %v", r.readErr)
				require.GreaterOrEqual(t, r.tokens, 1)
				require.Eventually(t, func() bool {
					tr := ts.Truth()
					return tr.Turns.FailedByCause["cut"] == 1 && tr.Turns.Failed == 1 && tr.Connections.Active == 0
				}, 5*time.Second, 10*time.Millisecond)
			},
		},
		{
			name:   "malformed",
			config: func(c *fwsim.Config) { c.MalformedRate = 1 },
			check: func(t *testing.T, ts testServer, ws *websocket.Conn, d driver) {
				r := runTurn(t, ws, d, "p")
				require.NoError(t, r.readErr)
				require.Equal(t, 1, r.invalid, "exactly one invalid frame")
				require.Equal(t, kDone, r.end, "the turn goes on and completes")
				require.Equal(t, 5, r.tokens)
				require.Eventually(t, func() bool {
					tr := ts.Truth()
					return tr.Turns.Completed == 1 && tr.Turns.FailedByCause["malformed"] == 1 && tr.Turns.Failed == 0
				}, 5*time.Second, 10*time.Millisecond)
			},
		},
		{
			name:   "stall",
			config: func(c *fwsim.Config) { c.StallRate = 1; c.Stall = stall },
			check: func(t *testing.T, ts testServer, ws *websocket.Conn, d driver) {
				r := runTurn(t, ws, d, "p")
				require.NoError(t, r.readErr)
				require.Equal(t, kDone, r.end)
				require.Equal(t, 5, r.tokens)
				require.GreaterOrEqual(t, r.tokenAts[1].Sub(r.tokenAts[0]), stall-20*time.Millisecond, "pause after the first token")
				// One pause only: the truth counts one stall (later gaps are not bounded from above,
				// which a loaded machine could break).
				require.Eventually(t, func() bool {
					tr := ts.Truth()
					return tr.Turns.Completed == 1 && tr.Turns.FailedByCause["stall"] == 1
				}, 5*time.Second, 10*time.Millisecond)
			},
		},
	}
	for _, f := range faults {
		for _, d := range drivers {
			t.Run(f.name+"/"+d.name, func(t *testing.T) {
				t.Parallel()
				ts := startServer(t, f.config)
				ws := dial(t, ts.ws(d.path))
				f.check(t, ts, ws, d)
			})
		}
	}
}

func TestRejectRate(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.RejectRate = 1; c.RejectStatus = http.StatusTooManyRequests })
	for _, d := range drivers {
		ws, resp, err := websocket.DefaultDialer.Dial(ts.ws(d.path), nil)
		require.ErrorIs(t, err, websocket.ErrBadHandshake, d.path)
		require.Nil(t, ws)
		require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		_ = resp.Body.Close()
	}
	tr := ts.Truth()
	require.EqualValues(t, len(drivers), tr.Connections.Rejected)
	require.Zero(t, tr.Connections.Opened)
}

func TestMaxConns(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.MaxConns = 1 })
	ws := dial(t, ts.ws("/api/chat"))
	_, resp, err := websocket.DefaultDialer.Dial(ts.ws("/api/chat"), nil)
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	_ = resp.Body.Close()
	require.NoError(t, ws.Close())
	require.Eventually(t, func() bool {
		c, resp, err := websocket.DefaultDialer.Dial(ts.ws("/api/chat"), nil)
		if resp != nil {
			_ = resp.Body.Close()
		}
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	}, 5*time.Second, 10*time.Millisecond, "the slot frees when the first client leaves")
}

// TestBadClients: nothing a client sends crashes or wedges the server.
func TestBadClients(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.ReadLimit = 1024; c.Tokens = 50; c.ITL = 5 * time.Millisecond })
	for _, d := range drivers {
		// Too large a message: the server drops the connection.
		ws := dial(t, ts.ws(d.path))
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, make([]byte, 4096)))
		for {
			if _, _, err := read(t, ws); err != nil {
				break
			}
		}
		// Hang up mid-turn: the turn is aborted.
		ws = dial(t, ts.ws(d.path))
		for _, m := range d.prompt("x") {
			send(t, ws, m)
		}
		require.NoError(t, ws.Close())
		// Plain HTTP on a WebSocket path.
		resp, err := httpGet(t, ts.http(d.path))
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusUpgradeRequired, resp.StatusCode)
	}
	require.Eventually(t, func() bool { return ts.Truth().Connections.Active == 0 }, 5*time.Second, 10*time.Millisecond)
	// Still serving.
	ws := dial(t, ts.ws("/api/chat"))
	require.Equal(t, kDone, runTurn(t, ws, drivers[0], "ok").end)
}
