// Package fwsimtest runs the reference backend (package fwsim) for tests.
package fwsimtest

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// Start runs a Server for cfg, its loop started, behind an httptest server on loopback and returns
// the base URL (http://127.0.0.1:port) and the Server. The http.Server is Server.HTTPServer, so
// the configured handshake and idle bounds apply. At cleanup it closes the client connections,
// then the Server (which closes its WebSockets), then the listener.
func Start(t testing.TB, cfg fwsim.Config) (string, *fwsim.Server) {
	t.Helper()
	s, err := fwsim.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	hs := httptest.NewUnstartedServer(nil)
	hs.Config = s.HTTPServer()
	hs.Start()
	t.Cleanup(func() {
		hs.CloseClientConnections()
		assert.NoError(t, s.Close())
		hs.Close()
	})
	return hs.URL, s
}
