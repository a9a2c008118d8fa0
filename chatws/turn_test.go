package chatws

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/failure"
)

// A failure decided mid-reply (an undecodable frame, or an error the protocol follows with a
// terminal frame) reads on to the terminal frame, so the next turn on the Conn starts in step.
func TestDecidedFailureReadsToTerminalFrame(t *testing.T) {
	t.Parallel()
	turns := [][]string{
		{ // realtime: a response-level error, then the failed response.done
			`{"type":"response.output_text.delta","delta":"a"}`,
			`{"type":"error","error":{"type":"server_error","message":"boom"}}`,
			`{"type":"response.output_text.delta","delta":"b"}`,
			`{"type":"response.done","response":{"status":"failed"}}`,
		},
		{ // an undecodable frame, then the rest of the reply
			`{"type":"response.output_text.delta","delta":"c"}`,
			`{"type":"response.output_text.delta","delta":`,
			`{"type":"response.done","response":{"status":"completed"}}`,
		},
		{ // a clean turn
			`{"type":"response.output_text.delta","delta":"d"}`,
			`{"type":"response.output_text.delta","delta":"e"}`,
			`{"type":"response.done","response":{"status":"completed","usage":{"output_tokens":2}}}`,
		},
	}
	url := wsServer(t, func(ws *websocket.Conn) {
		for _, frames := range turns {
			for range 2 { // the realtime request is two frames
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
			for _, f := range frames {
				_ = ws.WriteMessage(websocket.TextMessage, []byte(f))
			}
		}
		_, _, _ = ws.ReadMessage()
	})
	c := dial(t, url, Options{Protocol: Protocol{Name: ProtoOpenAIRealtime}, KeepTextBytes: 100})

	res := c.Turn(context.Background(), "1", TurnOptions{})
	require.False(t, res.OK)
	require.Equal(t, failure.KindServerError, res.Err.Kind)
	require.Equal(t, "boom", res.Err.Msg)
	require.Equal(t, 2, res.Chunks, "tokens after the error still count")
	require.Equal(t, 2, res.Tokens)
	require.Equal(t, TokensFrames, res.TokensSource)
	require.Equal(t, "ab", res.Text)
	require.Positive(t, res.Duration)

	res = c.Turn(context.Background(), "2", TurnOptions{})
	require.False(t, res.OK)
	require.Equal(t, failure.KindProtocol, res.Err.Kind)
	require.Equal(t, "c", res.Text)

	res = c.Turn(context.Background(), "3", TurnOptions{})
	require.True(t, res.OK, "%v", res.Err)
	require.Equal(t, "de", res.Text)
	require.Equal(t, 2, res.Tokens)
	require.Equal(t, TokensUsage, res.TokensSource)
	require.True(t, res.HasTPOT)
	require.Len(t, res.ITLs, 1)
}

// stepFramings is, per framing, a token frame for text, the reply's terminal frame and an
// in-stream error frame for the turn id, for the framings whose servers may follow an error with
// the reply's terminal frame. A unified chat error comes alone (see
// TestFinalErrorKeepsSessionUsable).
var stepFramings = []struct {
	proto          Protocol
	token          func(id, text string) string
	done, errFrame string // errFrame: {id} is the turn id
}{
	{
		Protocol{Name: ProtoFeatherweight},
		func(id, text string) string { return string(tokenFrame(id, text)) },
		string(completeFrame), `{"type":"error","content":"boom","messageId":"{id}"}`,
	},
	{
		Protocol{Name: ProtoOpenAI},
		func(_, text string) string { return `{"choices":[{"delta":{"content":"` + text + `"}}]}` },
		`[DONE]`, `{"error":{"message":"boom","type":"server_error"}}`,
	},
	{Protocol{Name: ProtoText}, func(_, text string) string { return text }, `[END]`, `[ERROR] boom`},
	{
		Protocol{Name: ProtoCustom, TokenTypes: []string{"delta"}, DoneTypes: []string{"final"}, ErrorTypes: []string{"fault"}},
		func(_, text string) string { return `{"type":"delta","content":"` + text + `"}` },
		`{"type":"final"}`, `{"type":"fault","message":"boom"}`,
	},
}

// stepServer answers each prompt with two tokens named after the turn and the terminal frame; the
// second prompt instead gets one token, an error frame and, when withTerminal, the terminal frame.
func stepServer(t *testing.T, i int, withTerminal bool) string {
	f := stepFramings[i]
	return wsServer(t, func(ws *websocket.Conn) {
		for n := 1; ; n++ {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m struct{ MessageID string }
			_ = json.Unmarshal(b, &m)
			send := func(s string) { _ = ws.WriteMessage(websocket.TextMessage, []byte(s)) }
			tok := "t" + strconv.Itoa(n)
			send(f.token(m.MessageID, tok+"a"))
			if n == 2 {
				send(strings.ReplaceAll(f.errFrame, "{id}", m.MessageID))
				if !withTerminal {
					continue
				}
			} else {
				send(f.token(m.MessageID, tok+"b"))
			}
			send(f.done)
		}
	})
}

// After an in-stream error followed by the reply's terminal frame, the failed turn ends at that
// frame and the next turns are built from their own frames only.
func TestErrorThenTerminalKeepsSessionInStep(t *testing.T) {
	t.Parallel()
	for i, f := range stepFramings {
		t.Run(f.proto.Name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, stepServer(t, i, true), Options{Protocol: f.proto, KeepTextBytes: 100, Timeouts: Timeouts{Idle: 5 * time.Second}})
			ctx := context.Background()
			res := c.Turn(ctx, "1", TurnOptions{})
			require.True(t, res.OK, "%v", res.Err)
			// Had the failed turn not ended at its terminal frame, it would have ended at the drain
			// deadline, which marks the Conn broken: turns 3 and 4 below would then fail.
			res = c.Turn(ctx, "2", TurnOptions{})
			require.False(t, res.OK)
			require.Equal(t, failure.KindServerError, res.Err.Kind)
			require.Equal(t, "boom", res.Err.Msg)
			require.Equal(t, "t2a", res.Text)
			for n := 3; n <= 4; n++ {
				res = c.Turn(ctx, strconv.Itoa(n), TurnOptions{})
				require.True(t, res.OK, "turn %d: %v", n, res.Err)
				require.Equal(t, "t"+strconv.Itoa(n)+"at"+strconv.Itoa(n)+"b", res.Text, "turn %d is built from its own frames", n)
				require.Equal(t, 2, res.Tokens)
			}
		})
	}
}

// After an in-stream error with nothing after it, the failed turn waits at most min(idle, 1s)
// for the terminal frame, then gives the connection up: later turns fail with failure.KindClosed, and none
// is built from a stray frame of the failed reply.
func TestErrorAloneGivesSessionUp(t *testing.T) {
	t.Parallel()
	for i, f := range stepFramings {
		t.Run(f.proto.Name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, stepServer(t, i, false), Options{Protocol: f.proto, Timeouts: Timeouts{Idle: 300 * time.Millisecond}})
			ctx := context.Background()
			require.True(t, c.Turn(ctx, "1", TurnOptions{}).OK)
			res := c.Turn(ctx, "2", TurnOptions{}) // waits until the drain deadline (TestDrainDeadline)
			require.Equal(t, failure.KindServerError, res.Err.Kind)
			res = c.Turn(ctx, "3", TurnOptions{})
			require.False(t, res.OK)
			require.Equal(t, failure.KindClosed, res.Err.Kind)
		})
	}
}

// While a turn drains after a decided failure, it awaits the next frame at most min(idle, 1 s)
// after the last frame, within the total timeout.
func TestDrainDeadline(t *testing.T) {
	t.Parallel()
	start := time.Now()
	last := start.Add(time.Second)
	for _, tc := range []struct{ idle, total, want time.Duration }{
		{300 * time.Millisecond, time.Hour, time.Second + 300*time.Millisecond}, // idle is shorter
		{5 * time.Second, time.Hour, time.Second + drainWait},                   // the drain bound is shorter
		{5 * time.Second, 1500 * time.Millisecond, 1500 * time.Millisecond},     // the total timeout comes first
	} {
		tr := turn{
			to: Timeouts{FirstToken: time.Minute, Idle: tc.idle, Total: tc.total}, phase: phaseStream,
			written: start, last: last, lastFrame: last, pending: newErr(failure.KindServerError, "boom", nil),
		}
		got, _ := tr.deadline()
		require.Equal(t, start.Add(tc.want), got, "idle %v total %v", tc.idle, tc.total)
	}
}

// A cancel that lands while a large prompt is being written (the server never reads, so the TCP
// window fills) ends the turn at once. Here it lands between two of the prompt's frames: gorilla
// then sets its own write deadline for the next frame, over the past one a cancel sets, and the
// turn used to wait for timeouts.total: no write after the cancel may end at a deadline.
func TestCancelDuringPromptWrite(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	url := wsServer(t, func(*websocket.Conn) { <-release })
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(context.Background())
	var watch *writeWatch
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		watch = &writeWatch{Conn: nc, after: 64 << 10, hook: func() {
			cancel()
			time.Sleep(20 * time.Millisecond) // the cancel's AfterFunc runs before the next frame
		}}
		return watch, err
	}
	c := dial(t, url, Options{NetDialContext: dialer, Timeouts: Timeouts{Total: 3 * time.Second}}) // bounds a failure
	prompt := strings.Repeat("x", 32<<20)                                                          // many 4 KiB frames, far beyond the socket buffers
	res := c.Turn(ctx, prompt, TurnOptions{})
	require.False(t, res.OK)
	require.Equal(t, failure.KindCanceled, res.Err.Kind, "%v", res.Err)
	require.True(t, watch.hooked, "the cancel landed during the prompt")
	require.NotErrorIs(t, watch.errAfter, os.ErrDeadlineExceeded, "a write after the cancel waited for the write deadline")
	require.Equal(t, failure.KindClosed, c.Turn(context.Background(), "again", TurnOptions{}).Err.Kind)
}

// writeWatch calls hook (once, before returning from that write) when more than after bytes were
// written, and keeps the error of any later write.
type writeWatch struct {
	net.Conn
	after    int
	n        int
	hook     func()
	hooked   bool
	errAfter error
}

func (w *writeWatch) Write(b []byte) (int, error) {
	n, err := w.Conn.Write(b)
	if w.hooked && err != nil {
		w.errAfter = err
	}
	if w.n <= w.after && w.n+n > w.after {
		w.hooked = true
		w.hook()
	}
	w.n += n
	return n, err
}
