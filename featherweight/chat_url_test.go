package featherweight

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// authEcho answers every prompt with one token: the Authorization header of the upgrade.
func authEcho(t *testing.T) string {
	t.Helper()
	srv := wsTestServer(t, func(ws *websocket.Conn, r *http.Request) {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"token","data":"`+r.Header.Get("Authorization")+`"}}`))
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"complete","data":""}}`))
		}
	})
	return srv.Listener.Addr().String()
}

// URL userinfo is sent as Basic auth and never shown: not in tags, errors or results.
func TestChatUserinfoIsBasicAuthAndRedacted(t *testing.T) {
	t.Parallel()
	const secret = "S3cret-pw"
	addr := authEcho(t)
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	require.NoError(t, l.Close())
	ct := newChatTest(t)
	ct.url = "ws://fwuser:" + secret + "@" + addr
	res := ct.run(t, `fw.chat(URL + "/a", "hi", {keepText: true})`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	require.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("fwuser:"+secret)), res["text"])
	res = ct.run(t, `fw.chat(URL + "/a", "hi", {keepText: true, headers: {Authorization: "Bearer tok"}})`)
	require.Equal(t, "Bearer tok", res["text"], "an explicit Authorization header wins")
	res = ct.run(t, `const s = fw.connect(URL + "/s", {keepText: true}); const r = s.send("hi"); s.close(); r`)
	require.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("fwuser:"+secret)), res["text"])

	ct.url = "ws://fwuser:" + secret + "@" + closed
	res = ct.run(t, `fw.chat(URL + "/x", "hi", {headers: {Authorization: "Bearer tok-SECRET"}})`)
	require.Equal(t, "connect", res["error"].(map[string]any)["kind"])
	res2 := ct.run(t, `const f = fw.connect(URL + "/x"); ({connected: f.connected, error: f.error, send: f.send("hi")})`)
	require.Equal(t, false, res2["connected"])
	dump := fmt.Sprint(res, res2)
	got := ct.drain()
	require.Len(t, got[MetricChatTurns], 5, "3 served, a failed chat, a failed connect (a send on it counts nothing)")
	for name, ss := range got {
		for _, s := range ss {
			dump += fmt.Sprint(name, s.tags)
		}
	}
	require.NotContains(t, dump, secret)
	require.NotContains(t, dump, "tok-SECRET")
	require.Equal(t, "ws://****:****@"+addr+"/a", got[MetricChatTurns][0].tags["url"])
	require.Equal(t, "ws://****:****@"+addr+"/a", got[MetricChatTurns][0].tags["name"])
	require.Equal(t, "ws://****:****@"+closed+"/x", got[MetricChatErrors][0].tags["url"])
}
