package chatws_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/chatws"
	"github.com/featherweight/xk6-featherweight/failure"
)

var simPaths = []struct {
	path  string
	proto chatws.Protocol
	usage bool
}{
	{"/api/chat", chatws.Protocol{}, false},
	{"/api/chat/unified", chatws.Protocol{Name: chatws.ProtoFeatherweightUnified}, false},
	{"/v1/chat/stream", chatws.Protocol{Name: chatws.ProtoOpenAI}, true},
	{"/v1/chat/stream", chatws.Protocol{Name: chatws.ProtoOpenAI, DoneOn: "finish_reason"}, false},
	{"/v1/realtime", chatws.Protocol{Name: chatws.ProtoOpenAIRealtime}, true},
	{"/ws/text", chatws.Protocol{Name: chatws.ProtoText}, false},
}

// session runs n turns on one connection and returns the results.
func session(t *testing.T, url string, p chatws.Protocol, to chatws.Timeouts, n int) []chatws.Result {
	t.Helper()
	c, _, err := chatws.Dial(context.Background(), url, chatws.Options{Protocol: p, Timeouts: to, KeepTextBytes: 1024})
	require.NoError(t, err)
	defer func() { _ = c.Close() }() // the turns' results are in; a close error does not change them
	out := make([]chatws.Result, n)
	for i := range out {
		out[i] = c.Turn(context.Background(), "hello sim", chatws.TurnOptions{})
		out[i].ITLs = append([]time.Duration(nil), out[i].ITLs...)
	}
	return out
}

// TestSimProtocols runs three turns per framing against simServer (each framing as the reference
// backend speaks it) and checks the server counted the same turns.
func TestSimProtocols(t *testing.T) {
	t.Parallel()
	srv := startSim(t, nil)
	url := srv.URL
	for _, fp := range simPaths {
		for i, r := range session(t, url+fp.path, fp.proto, chatws.Timeouts{}, 3) {
			require.True(t, r.OK, "%s %s turn %d: %v", fp.path, fp.proto.Name, i, r.Err)
			require.Equal(t, 6, r.Chunks, fp.path)
			require.Equal(t, 6, r.Tokens, fp.path)
			require.Len(t, r.ITLs, 5)
			require.GreaterOrEqual(t, r.TTFT, 5*time.Millisecond, "the server waits ttft after the prompt: load only adds to it")
			require.NotEmpty(t, r.Text)
			if fp.usage {
				require.Equal(t, chatws.TokensUsage, r.TokensSource, fp.path)
			} else {
				require.Equal(t, chatws.TokensFrames, r.TokensSource, fp.path)
			}
		}
	}
	// The server counts a turn after its last write returns, which may be after the client saw it;
	// with doneOn finish_reason the client may close before the trailing usage/[DONE] frames, and
	// the server then records that last turn as aborted.
	n := int64(3 * len(simPaths))
	require.Eventually(t, func() bool {
		tr := &srv.turns
		return tr.started.Load() == n && tr.completed.Load()+tr.aborted.Load() == n && tr.aborted.Load() <= 1
	}, 2*time.Second, 10*time.Millisecond, "server turns == client turns")
	require.Zero(t, srv.turns.failed.Load())
}

// TestSimFaults injects each fault into every framing: the first turn fails with its kind, the
// second shows whether the session survived.
func TestSimFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*simConfig)
		to     chatws.Timeouts
		kinds  []failure.Kind // per turn of a 2-turn session
	}{
		{
			"01 error frame, session survives", func(c *simConfig) { c.errorFrame = true },
			chatws.Timeouts{},
			[]failure.Kind{failure.KindServerError, failure.KindServerError},
		},
		{
			"02 malformed, session survives", func(c *simConfig) { c.malformed = true },
			chatws.Timeouts{},
			[]failure.Kind{failure.KindProtocol, failure.KindProtocol},
		},
		{
			"03 cut", func(c *simConfig) { c.cut = true },
			chatws.Timeouts{},
			[]failure.Kind{failure.KindClosed, failure.KindClosed},
		},
		{
			"04 stall", func(c *simConfig) { c.stall = 2 * time.Second },
			chatws.Timeouts{Idle: 200 * time.Millisecond},
			[]failure.Kind{failure.KindTimeoutIdle, failure.KindClosed},
		},
		{
			"05 slow first token", func(c *simConfig) { c.ttft = 2 * time.Second },
			chatws.Timeouts{FirstToken: 200 * time.Millisecond},
			[]failure.Kind{failure.KindTimeoutFirstToken, failure.KindClosed},
		},
		{
			"06 total", func(c *simConfig) { c.itl = 100 * time.Millisecond },
			chatws.Timeouts{Total: 250 * time.Millisecond},
			[]failure.Kind{failure.KindTimeoutTotal, failure.KindClosed},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := startSim(t, tc.mutate).URL
			for _, fp := range simPaths {
				res := session(t, url+fp.path, fp.proto, tc.to, len(tc.kinds))
				for i, want := range tc.kinds {
					require.False(t, res[i].OK, "%s %s turn %d", fp.path, fp.proto.Name, i)
					require.Equal(t, want, res[i].Err.Kind, "%s %s turn %d: %v", fp.path, fp.proto.Name, i, res[i].Err)
					if want == failure.KindClosed && i == 0 {
						require.Equal(t, 1006, res[i].CloseCode)
					}
				}
			}
		})
	}
}

func TestSimReject(t *testing.T) {
	t.Parallel()
	url := startSim(t, func(c *simConfig) { c.rejectStatus = 503 }).URL
	_, info, err := chatws.Dial(context.Background(), url+"/api/chat", chatws.Options{})
	var e *chatws.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, failure.KindHandshake, e.Kind)
	require.Equal(t, 503, info.Status)
}
