package chatws

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/failure"
)

// finalErrorFramings are the framings in which an error frame is the end of the reply: nothing of
// the turn follows it on the wire.
var finalErrorFramings = []struct {
	name           string
	proto          Protocol
	requestFrames  int // client frames per prompt
	token          func(id, text string) string
	done, errFrame string
}{
	{ // the real unified chat server never sends end after an error
		name: "unified error", proto: Protocol{Name: ProtoFeatherweightUnified}, requestFrames: 1,
		token: func(_, text string) string { return `{"type":"chunk","content":"` + text + `"}` },
		done:  `{"type":"end"}`, errFrame: `{"type":"error","message":"boom"}`,
	},
	{ // the orchestrator's schema and JSON errors carry no messageId and nothing follows them
		name: "featherweight schema error", proto: Protocol{Name: ProtoFeatherweight}, requestFrames: 1,
		token: func(id, text string) string { return string(tokenFrame(id, text)) },
		done:  string(completeFrame), errFrame: `{"type":"error","content":"boom"}`,
	},
	{ // with doneOn finish_reason the trailing [DONE] is not awaited, so the error is the end
		name: "openai error with doneOn finish_reason", proto: Protocol{Name: ProtoOpenAI, DoneOn: DoneOnFinishReason}, requestFrames: 1,
		token: func(_, text string) string { return `{"choices":[{"delta":{"content":"` + text + `"}}]}` },
		done:  `{"choices":[{"delta":{},"finish_reason":"stop"}]}`, errFrame: `{"error":{"message":"boom","type":"server_error"}}`,
	},
	{ // a rejected client event: no response.done follows
		name: "realtime invalid_request_error", proto: Protocol{Name: ProtoOpenAIRealtime}, requestFrames: 2,
		token:    func(_, text string) string { return `{"type":"response.output_text.delta","delta":"` + text + `"}` },
		done:     `{"type":"response.done","response":{"status":"completed"}}`,
		errFrame: `{"type":"error","error":{"type":"invalid_request_error","message":"boom"}}`,
	},
}

// A final error frame ends the turn at once, as failed with server_error, and the connection
// stays usable: the next turns on it are built from their own frames. (Were the client to read
// on for a terminal frame that never comes, it would give the connection up and the next turns
// would fail with failure.KindClosed.)
func TestFinalErrorKeepsSessionUsable(t *testing.T) {
	t.Parallel()
	for _, f := range finalErrorFramings {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			url := wsServer(t, func(ws *websocket.Conn) {
				for n := 1; ; n++ {
					var m struct{ MessageID string }
					for range f.requestFrames {
						_, b, err := ws.ReadMessage()
						if err != nil {
							return
						}
						_ = json.Unmarshal(b, &m)
					}
					send := func(s string) { _ = ws.WriteMessage(websocket.TextMessage, []byte(s)) }
					tok := "t" + strconv.Itoa(n)
					send(f.token(m.MessageID, tok+"a"))
					if n == 2 {
						send(f.errFrame) // and nothing more for this prompt
						continue
					}
					send(f.token(m.MessageID, tok+"b"))
					send(f.done)
				}
			})
			c := dial(t, url, Options{Protocol: f.proto, KeepTextBytes: 100, Timeouts: Timeouts{Idle: 5 * time.Second}})
			ctx := context.Background()
			require.True(t, c.Turn(ctx, "1", TurnOptions{}).OK)

			res := c.Turn(ctx, "2", TurnOptions{})
			require.False(t, res.OK)
			require.Equal(t, failure.KindServerError, res.Err.Kind, "%v", res.Err)
			require.Equal(t, "boom", res.Err.Msg)
			require.Equal(t, "t2a", res.Text)
			require.Equal(t, 1, res.Tokens)
			require.Zero(t, res.CloseCode)

			for n := 3; n <= 4; n++ {
				res = c.Turn(ctx, strconv.Itoa(n), TurnOptions{})
				require.True(t, res.OK, "turn %d: %v", n, res.Err)
				require.Equal(t, "t"+strconv.Itoa(n)+"at"+strconv.Itoa(n)+"b", res.Text, "turn %d is built from its own frames", n)
				require.Equal(t, 2, res.Tokens)
			}
		})
	}
}

// Each codec declares whether an error frame ends the reply (Event.Final).
func TestDecodeErrorFinality(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		proto Protocol
		frame string
		final bool
	}{
		{"unified error comes alone", Protocol{Name: ProtoFeatherweightUnified}, `{"type":"error","message":"Missing message"}`, true},
		{"featherweight upstream error is followed by complete", Protocol{}, `{"type":"error","content":"Stream error","messageId":"m1"}`, false},
		{"featherweight schema error comes alone", Protocol{}, `{"type":"error","content":"[{\"code\":\"invalid_enum_value\"}]"}`, true},
		{"openai error is followed by [DONE]", Protocol{Name: ProtoOpenAI}, `{"error":{"message":"x"}}`, false},
		{"openai error with doneOn finish_reason", Protocol{Name: ProtoOpenAI, DoneOn: DoneOnFinishReason}, `{"error":{"message":"x"}}`, true},
		{"realtime response error is followed by response.done", Protocol{Name: ProtoOpenAIRealtime}, `{"type":"error","error":{"type":"server_error","message":"x"}}`, false},
		{"realtime rejected client event", Protocol{Name: ProtoOpenAIRealtime}, `{"type":"error","error":{"type":"invalid_request_error","message":"x"}}`, true},
	}
	for _, tc := range cases {
		ev, err := mustCodec(t, tc.proto).Decode([]byte(tc.frame), "m1")
		require.NoError(t, err, tc.name)
		require.Equal(t, EventError, ev.Kind, tc.name)
		require.Equal(t, tc.final, ev.Final, tc.name)
	}
}
