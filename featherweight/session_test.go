package featherweight

import (
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"go.k6.io/k6/lib"
)

// heapAlloc is the live heap after a full collection.
func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkSessionHeap reports the heap one session holds between turns (heap-B/session), for
// sessions kept open after one 3-token turn ("connected": the loopback server's side of each
// socket lives in the same process and is counted too) and for sessions whose connect failed
// ("unconnected": the session object, its state and its error, no socket).
func BenchmarkSessionHeap(b *testing.B) {
	const n = 500
	srv := wsTestServer(b, func(ws *websocket.Conn, _ *http.Request) {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
			for _, f := range []string{
				`{"type":"stream_event","event":{"type":"token","data":"a"}}`,
				`{"type":"stream_event","event":{"type":"token","data":"b"}}`,
				`{"type":"stream_event","event":{"type":"token","data":"c"}}`,
				`{"type":"stream_event","event":{"type":"complete","data":""}}`,
			} {
				if ws.WriteMessage(websocket.TextMessage, []byte(f)) != nil {
					return
				}
			}
		}
	})
	for _, bc := range []struct{ name, url string }{
		{"connected", "ws" + strings.TrimPrefix(srv.URL, "http")},
		{"unconnected", "ws://blocked.test"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			env := newVUEnv(b, "chat", lib.Options{})
			env.rt.MoveToVUContext(env.state)
			done := make(chan struct{})
			b.Cleanup(func() { close(done) })
			go func() { // the samples are not what this measures
				for {
					select {
					case <-env.samples:
					case <-done:
						return
					}
				}
			}()
			rt := env.rt.VU.RuntimeField
			if err := rt.Set("URL", bc.url); err != nil {
				b.Fatal(err)
			}
			run := func(code string) {
				if _, err := rt.RunString(code); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				run(`globalThis.sessions = []; globalThis.turns = 0`)
				before := heapAlloc()
				run(`for (let i = 0; i < ` + strconv.Itoa(n) + `; i++) {
					const s = fw.connect(URL);
					if (s.connected && s.send("hi").ok) turns++;
					sessions.push(s);
				}`)
				after := heapAlloc()
				if want := map[string]int64{"connected": n, "unconnected": 0}[bc.name]; rt.Get("turns").ToInteger() != want {
					b.Fatalf("%d turns succeeded, want %d", rt.Get("turns").ToInteger(), want)
				}
				b.ReportMetric(float64(after-before)/n, "heap-B/session")
				run(`sessions.forEach((s) => s.close()); sessions = []`)
			}
		})
	}
}
