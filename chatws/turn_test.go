package chatws

import (
	"context"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
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
	require.Equal(t, ErrServerError, res.Err.Kind)
	require.Equal(t, "boom", res.Err.Msg)
	require.Equal(t, 2, res.Chunks, "tokens after the error still count")
	require.Equal(t, 2, res.Tokens)
	require.Equal(t, TokensFrames, res.TokensSource)
	require.Equal(t, "ab", res.Text)
	require.Positive(t, res.Duration)

	res = c.Turn(context.Background(), "2", TurnOptions{})
	require.False(t, res.OK)
	require.Equal(t, ErrProtocol, res.Err.Kind)
	require.Equal(t, "c", res.Text)

	res = c.Turn(context.Background(), "3", TurnOptions{})
	require.True(t, res.OK, "%v", res.Err)
	require.Equal(t, "de", res.Text)
	require.Equal(t, 2, res.Tokens)
	require.Equal(t, TokensUsage, res.TokensSource)
	require.True(t, res.HasTPOT)
	require.Len(t, res.ITLs, 1)
}
