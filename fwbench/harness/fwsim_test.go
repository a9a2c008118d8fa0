package harness

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

func TestStartFwsimWaitsForItsAddressAndReadsItsTruth(t *testing.T) {
	f, log := testFwsim(t)
	require.NotNil(t, f, "log:\n%s", log)
	require.True(t, strings.HasPrefix(f.URL, "http://127.0.0.1:"), f.URL)
	require.Equal(t, "ws"+strings.TrimPrefix(f.URL, "http"), f.WS())
	require.Equal(t, map[string]string{
		"FW_CHAT_URL": f.WS() + "/api/chat", "FW_METRICS_URL": f.URL + "/metrics", "FW_HEALTHZ_URL": f.URL + "/healthz",
	}, f.ScenarioEnv())

	h, err := WaitHealthy(t.Context(), f.URL+"/healthz", 10*time.Second)
	require.NoError(t, err)
	require.True(t, h.OK, "a fresh fwsim turns healthy once its loop ticks: %+v", h)
	require.Contains(t, h.Body, `"status":"ok"`)

	tr, err := f.Truth(t.Context())
	require.NoError(t, err)
	require.Positive(t, tr.Loop.Ticks)
	require.Zero(t, tr.Turns.Started)

	nd, err := f.TurnsNDJSON(t.Context())
	require.NoError(t, err)
	recs, dropped, err := fwsim.ReadTurns(bytes.NewReader(nd))
	require.NoError(t, err)
	require.Empty(t, recs)
	require.Zero(t, dropped)

	require.NoError(t, f.Stop())
	require.NoError(t, f.Stop(), "a second Stop is a no-op")
	<-f.Done()
	require.Contains(t, log.String(), "fwsim: starting", "stderr reaches the log")
	require.Contains(t, log.String(), "fwsim listening on", "stdout reaches the log")
	require.Contains(t, log.String(), "fwsim stopped", "output after the address line reaches the log")
}

func TestStartFwsimReportsAnFwsimThatExits(t *testing.T) {
	f, log := testFwsim(t, "-exit-at-start")
	require.Nil(t, f)
	require.Contains(t, log.String(), "flag provided but not defined")

	_, err := StartFwsim(t.Context(), FwsimOptions{Binary: "/nonexistent/fwsim"})
	require.ErrorIs(t, err, ErrFwsim)
	require.ErrorIs(t, err, os.ErrNotExist)
}
