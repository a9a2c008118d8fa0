package chatws

import (
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// benchFrames are one representative token-bearing frame per framing.
var benchFrames = []struct {
	name  string
	proto Protocol
	frame string
}{
	{"featherweight", Protocol{}, `{"type":"stream_event","event":{"type":"token","data":"Hello","messageId":"fw-3kq9z1m2x"},"timestamp":"2026-11-27T07:30:00.123456Z"}`},
	{"featherweight-unified", Protocol{Name: ProtoFeatherweightUnified}, `{"type":"chunk","content":"Hello"}`},
	{"openai", Protocol{Name: ProtoOpenAI}, `{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1764228600,"model":"featherweight","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}`},
	{"openai-realtime", Protocol{Name: ProtoOpenAIRealtime}, `{"type":"response.output_text.delta","event_id":"ev_1","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"Hello"}`},
	{"text", Protocol{Name: ProtoText}, `Hello`},
	{"custom", Protocol{Name: ProtoCustom, TypeField: "kind", TokenTypes: []string{"delta"}, DoneTypes: []string{"fin"}, TextField: "payload.text"}, `{"kind":"delta","seq":42,"payload":{"text":"Hello"}}`},
}

func BenchmarkDecode(b *testing.B) {
	for _, bf := range benchFrames {
		c, err := NewCodec(bf.proto)
		if err != nil {
			b.Fatal(err)
		}
		frame := []byte(bf.frame)
		b.Run(bf.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				ev, err := c.Decode(frame, "fw-3kq9z1m2x")
				if err != nil || len(ev.Text) == 0 {
					b.Fatal("bad decode", err)
				}
			}
		})
	}
}

// BenchmarkDecodeMapBaseline is the generic-unmarshal approach the codecs avoid, for comparison.
func BenchmarkDecodeMapBaseline(b *testing.B) {
	frame := []byte(benchFrames[0].frame)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(frame, &m); err != nil {
			b.Fatal(err)
		}
		ev, _ := m["event"].(map[string]any)
		if s, _ := ev["data"].(string); s == "" {
			b.Fatal("no data")
		}
	}
}

// BenchmarkTurn measures the client's whole cost of one 24-token featherweight turn over loopback
// (the server writes pre-encoded frames with no delay), i.e. read + stamp + decode + bookkeeping.
func BenchmarkTurn(b *testing.B) {
	frames := make([][]byte, 0, 25)
	for i := range 24 {
		frames = append(frames, []byte(`{"type":"stream_event","event":{"type":"token","data":"tok `+strconv.Itoa(i)+`","messageId":"bench"},"timestamp":"2026-11-27T07:30:00.123456Z"}`))
	}
	frames = append(frames, []byte(`{"type":"stream_event","event":{"type":"complete","data":"","messageId":"bench"}}`))
	url := wsServer(b, func(ws *websocket.Conn) {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
			for _, f := range frames {
				if ws.WriteMessage(websocket.TextMessage, f) != nil {
					return
				}
			}
		}
	})
	c, _, err := Dial(context.Background(), url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Close() }() // the benchmark is over; a close error does not change it
	b.ReportAllocs()
	for b.Loop() {
		res := c.Turn(context.Background(), "hi", TurnOptions{MessageID: "bench"})
		if !res.OK || res.Chunks != 24 {
			b.Fatal("bad turn", res.Err)
		}
	}
}

// BenchmarkIdleConnHeap reports the heap one idle Conn holds after a turn (heap-B/conn): n
// connections each after one 3-token turn, the loopback server's side of each socket in the
// same process and counted too.
func BenchmarkIdleConnHeap(b *testing.B) {
	const n = 500
	var open atomic.Int64 // server handlers running
	serve := stream([]string{"a", "b", "c"}, 0)
	url := wsServer(b, func(ws *websocket.Conn) {
		open.Add(1)
		defer open.Add(-1)
		serve(ws)
	})
	for b.Loop() {
		conns := make([]*Conn, 0, n)
		before := heapAlloc()
		for range n {
			c, _, err := Dial(context.Background(), url, Options{})
			if err != nil {
				b.Fatal(err)
			}
			if res := c.Turn(context.Background(), "hi", TurnOptions{}); !res.OK || res.ITL.Count != 2 {
				b.Fatal("bad turn", res.Err)
			}
			conns = append(conns, c)
		}
		after := heapAlloc()
		b.ReportMetric(float64(after-before)/n, "heap-B/conn")
		for _, c := range conns {
			_ = c.Close()
		}
		waitZero(b, &open) // the next round starts from a heap without this one's server side
	}
}

// waitZero waits (up to 10 s) until n is 0.
func waitZero(b *testing.B, n *atomic.Int64) {
	b.Helper()
	for range 1000 {
		if n.Load() == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("%d server handlers still running", n.Load())
}

// heapAlloc is the live heap after a full collection.
func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkInFlightTurnHeap reports the heap (heap-B/conn) and goroutine stack (stack-B/conn)
// per connection while n turns stream at once, each 39 tokens into its reply (the loopback
// server's side in the same process, counted too).
func BenchmarkInFlightTurnHeap(b *testing.B) {
	const n, tokens = 500, 39
	var sent atomic.Int64 // turns whose tokens the server wrote
	var open atomic.Int64 // server handlers running
	release := make(chan struct{})
	url := wsServer(b, func(ws *websocket.Conn) {
		open.Add(1)
		defer open.Add(-1)
		id, ok := readPrompt(ws)
		if !ok {
			return
		}
		for i := range tokens {
			_ = ws.WriteMessage(websocket.TextMessage, tokenFrame(id, strconv.Itoa(i)))
		}
		sent.Add(1)
		<-release
		_ = ws.WriteMessage(websocket.TextMessage, completeFrame)
		_, _, _ = ws.ReadMessage()
	})
	for b.Loop() {
		sent.Store(0)
		release = make(chan struct{})
		conns := make([]*Conn, 0, n)
		var wg sync.WaitGroup
		before, stackBefore := heapAlloc(), stackInuse()
		for range n {
			c, _, err := Dial(context.Background(), url, Options{})
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
			wg.Go(func() {
				if res := c.Turn(context.Background(), "hi", TurnOptions{ITLSink: func([]time.Duration) {}}); !res.OK {
					b.Error("bad turn", res.Err)
				}
			})
		}
		for sent.Load() < n {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // the clients read the last tokens
		after, stackAfter := heapAlloc(), stackInuse()
		b.ReportMetric(float64(after-before)/n, "heap-B/conn")
		b.ReportMetric(float64(stackAfter-stackBefore)/n, "stack-B/conn")
		close(release)
		wg.Wait()
		for _, c := range conns {
			_ = c.Close()
		}
		waitZero(b, &open)
	}
}

// stackInuse is the memory of goroutine stacks.
func stackInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.StackInuse
}
