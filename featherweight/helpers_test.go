package featherweight

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/js/modulestest"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/types"
	"go.k6.io/k6/metrics"
)

// blockingDialer stands in for k6's netext.Dialer (whose package needs modules this go.mod doesn't
// list): it blocks hostnames like blockHostnames does, which proves a client dials through
// state.Dialer, and counts dials.
type blockingDialer struct {
	net.Dialer
	blocked *types.HostnameTrie
	dials   atomic.Int64
}

func (d *blockingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if _, blocked := d.blocked.Contains(host); blocked {
		return nil, fmt.Errorf("hostname (%s) is in a blocked pattern", host)
	}
	return d.Dialer.DialContext(ctx, network, addr)
}

// newModuleRuntime is a modulestest runtime with a module instance bound to `fw` (init context).
func newModuleRuntime(t testing.TB) *modulestest.Runtime {
	t.Helper()
	rt, _ := newModuleRuntimeWithRoot(t)
	return rt
}

// newModuleRuntimeWithRoot is newModuleRuntime and its RootModule (the process-wide state).
func newModuleRuntimeWithRoot(t testing.TB) (*modulestest.Runtime, *RootModule) {
	t.Helper()
	rt := modulestest.NewRuntime(t)
	root := new(RootModule)
	m := root.NewModuleInstance(rt.VU)
	t.Cleanup(root.testEnded) // the end of the test closes the sessions a test left open
	require.NoError(t, rt.VU.RuntimeField.Set("fw", m.Exports().Default))
	return rt, root
}

// vuEnv is a module runtime and the lib.State of a VU of one scenario, not yet moved to: its dials
// (and its HTTP transport's) go through a blockingDialer that blocks blocked.test, its samples
// land in samples.
type vuEnv struct {
	rt      *modulestest.Runtime
	root    *RootModule
	state   *lib.State
	samples chan metrics.SampleContainer
}

func newVUEnv(t testing.TB, scenario string, opts lib.Options) vuEnv {
	t.Helper()
	rt, module := newModuleRuntimeWithRoot(t)
	blocked, err := types.NewHostnameTrie([]string{"blocked.test"})
	require.NoError(t, err)
	samples := make(chan metrics.SampleContainer, 1000)
	root := rt.VU.InitEnvField.Registry.RootTagSet()
	dialer := &blockingDialer{blocked: blocked}
	// The VU's HTTP transport, built over its dialer as k6's runner builds it.
	transport := &http.Transport{
		Proxy:              http.ProxyFromEnvironment,
		DialContext:        dialer.DialContext,
		DisableCompression: true,
		ForceAttemptHTTP2:  true,
	}
	t.Cleanup(transport.CloseIdleConnections)
	state := &lib.State{
		Dialer:         dialer,
		Transport:      transport,
		Options:        opts,
		Samples:        samples,
		BuiltinMetrics: rt.BuiltinMetrics,
		Tags:           lib.NewVUStateTags(root.With("scenario", scenario)),
	}
	return vuEnv{rt: rt, root: module, state: state, samples: samples}
}

// wsTestServer serves every WebSocket upgrade with handle (the socket is closed when handle
// returns); the server is closed when the test ends.
func wsTestServer(t testing.TB, handle func(ws *websocket.Conn, r *http.Request)) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = ws.Close() }() // the handler is done; the client sees the close either way
		handle(ws, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newTestMetrics(t *testing.T) *fwMetrics {
	t.Helper()
	m, err := registerMetrics(metrics.NewRegistry())
	require.NoError(t, err)
	return m
}
