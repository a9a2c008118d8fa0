package chatws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/chatws"
	"github.com/featherweight/xk6-featherweight/failure"
)

// goldenFraming is how one real server's capture is replayed and read. The expected turns come
// from the capture itself, parsed here with encoding/json, not with the client's codecs.
type goldenFraming struct {
	capture string
	path    string
	proto   chatws.Protocol
	// prompt returns the prompt and messageId that make the client send the recorded client
	// frame, or false when the client never sends such a frame (a schema or JSON error on
	// purpose): the test then sends the recorded frame verbatim.
	prompt func(out []byte) (prompt, messageID string, ok bool)
	// read classifies a recorded server frame.
	read func(t *testing.T, in []byte) serverFrame
}

// serverFrame is what a recorded server frame means for its turn.
type serverFrame struct {
	token     string // token text ("" when none)
	err       string // error text of an error frame
	isErr     bool
	terminal  bool   // the reply's end frame
	messageID string // the turn id the frame carries ("" when none)
}

var goldenFramings = []goldenFraming{
	{
		capture: "orchestrator.jsonl", path: "/api/chat", proto: chatws.Protocol{Name: chatws.ProtoFeatherweight},
		prompt: func(out []byte) (string, string, bool) {
			var m map[string]any
			if json.Unmarshal(out, &m) != nil || m["type"] != "user_message" {
				return "", "", false
			}
			content, ok1 := m["content"].(string)
			id, ok2 := m["messageId"].(string)
			_, ok3 := m["timestamp"].(string)
			return content, id, ok1 && ok2 && ok3 && len(m) == 4
		},
		read: func(t *testing.T, in []byte) serverFrame {
			t.Helper()
			var m struct {
				Type      string `json:"type"`
				Content   string `json:"content"`
				MessageID string `json:"messageId"`
				Event     struct {
					Type      string `json:"type"`
					Data      string `json:"data"`
					MessageID string `json:"messageId"`
				} `json:"event"`
			}
			require.NoError(t, json.Unmarshal(in, &m), "%s", in)
			switch {
			case m.Type == "error":
				return serverFrame{isErr: true, err: m.Content, messageID: m.MessageID}
			case m.Type == "stream_event" && m.Event.Type == "token":
				return serverFrame{token: m.Event.Data, messageID: m.Event.MessageID}
			case m.Type == "stream_event" && m.Event.Type == "complete":
				return serverFrame{terminal: true, messageID: m.Event.MessageID}
			}
			t.Fatalf("unexpected orchestrator frame %s", in)
			return serverFrame{}
		},
	},
	{
		capture: "unified-chat.jsonl", path: "/ws/unified-chat", proto: chatws.Protocol{Name: chatws.ProtoFeatherweightUnified},
		prompt: func(out []byte) (string, string, bool) {
			var m map[string]any
			if json.Unmarshal(out, &m) != nil {
				return "", "", false
			}
			msg, ok := m["message"].(string)
			return msg, "", ok && len(m) == 1
		},
		read: func(t *testing.T, in []byte) serverFrame {
			t.Helper()
			var m struct{ Type, Content, Message string }
			require.NoError(t, json.Unmarshal(in, &m), "%s", in)
			switch m.Type {
			case "chunk":
				return serverFrame{token: m.Content}
			case "end":
				return serverFrame{terminal: true}
			case "error":
				return serverFrame{isErr: true, err: m.Message}
			}
			t.Fatalf("unexpected unified frame %s", in)
			return serverFrame{}
		},
	},
}

// turnWant is one recorded turn as the client must report it.
type turnWant struct {
	ok        bool
	errMsg    string
	tokens    int
	text      string
	ids       []string      // the messageIds the server's frames carried
	ttft      time.Duration // client frame -> first token frame, as recorded
	duration  time.Duration // client frame -> the reply's last frame, as recorded
	hasTokens bool
}

func (f goldenFraming) want(t *testing.T, ex exchange) turnWant {
	t.Helper()
	require.NotEmpty(t, ex.in, "every recorded client frame got an answer")
	var w turnWant
	for _, in := range ex.in {
		fr := f.read(t, in.text)
		if fr.messageID != "" {
			w.ids = append(w.ids, fr.messageID)
		}
		switch {
		case fr.isErr:
			require.Empty(t, w.errMsg, "one error frame per recorded turn")
			w.errMsg = fr.err
		case fr.token != "":
			if !w.hasTokens {
				w.hasTokens, w.ttft = true, in.at-ex.out.at
			}
			w.tokens++
			w.text += fr.token
		}
	}
	last := ex.in[len(ex.in)-1]
	w.duration = last.at - ex.out.at
	w.ok = w.errMsg == "" && f.read(t, last.text).terminal
	return w
}

// verbatimCodec sends the prompts in verbatim as they are (the recorded client frames a client
// would not send, such as invalid JSON) and every other prompt with the framing's codec.
type verbatimCodec struct {
	chatws.Codec
	verbatim map[string]bool
}

func (c verbatimCodec) EncodeRequest(prompt, id string, now time.Time) ([][]byte, bool, error) {
	if c.verbatim[prompt] {
		return [][]byte{[]byte(prompt)}, true, nil
	}
	return c.Codec.EncodeRequest(prompt, id, now)
}

// TestClientReportsRealServersTurns replays the real servers' captures to the client, frame by
// frame with their recorded timing, each recorded connection on its own connection: one-shot
// turns, a session, and errors before and after tokens, schema and JSON errors and the turns
// after them on the same socket. For every recorded turn the client must report what the server
// said: success or failure, the error kind and message, the tokens and text the server sent, the
// turn's messageId, and timings no shorter than the capture's own (the replay server never sends
// a frame earlier than recorded). The replay server checks each client frame against the
// recorded one.
//
// The captures show three facts this pins down: a unified chat error comes alone and the session
// goes on; the orchestrator's complete after an upstream error carries the turn's messageId and
// ends the failed turn (the next turn is built from its own frames); a schema or JSON error has
// no messageId and nothing after it.
func TestClientReportsRealServersTurns(t *testing.T) {
	t.Parallel()
	for _, f := range goldenFramings {
		conns := loadCapture(t, f.capture)
		for _, name := range []string{"oneshot", "session", "errors"} {
			script := conns[name]
			require.NotEmpty(t, script, "%s has a %s connection", f.capture, name)
			t.Run(f.proto.Name+"/"+name, func(t *testing.T) {
				t.Parallel()
				replayTurns(t, f, script)
			})
		}
	}
}

// replayTurns runs the script's turns on one client connection and checks each result.
func replayTurns(t *testing.T, f goldenFraming, script []exchange) {
	srv := startReplay(t, f.path, script)
	base, err := chatws.NewCodec(f.proto)
	require.NoError(t, err)
	codec := verbatimCodec{Codec: base, verbatim: map[string]bool{}}
	ctx := context.Background()
	c, _, err := chatws.Dial(ctx, srv.URL, chatws.Options{
		Codec: codec, KeepTextBytes: 1 << 12,
		Timeouts: chatws.Timeouts{FirstToken: 5 * time.Second, Idle: 5 * time.Second, Total: 10 * time.Second},
	})
	require.NoError(t, err)
	defer func() { _ = c.Close() }() // the results are in; a close error changes none of them
	for i, ex := range script {
		want := f.want(t, ex)
		prompt, id, ok := f.prompt(ex.out.text)
		if !ok {
			prompt = string(ex.out.text)
			codec.verbatim[prompt] = true
		}
		res := c.Turn(ctx, prompt, chatws.TurnOptions{MessageID: id})
		checkReplayedTurn(t, i, ex, want, id, res)
	}
	require.Empty(t, srv.mismatches(), "the client's frames are the recorded client's")
}

func checkReplayedTurn(t *testing.T, i int, ex exchange, want turnWant, id string, res chatws.Result) {
	t.Helper()
	turn := func(what string) string { return fmt.Sprintf("%s of turn %d (%s)", what, i, ex.out.text) }
	require.Equal(t, want.ok, res.OK, turn("ok"), "%v", res.Err)
	if want.ok {
		require.Nil(t, res.Err, turn("error"))
	} else {
		require.NotNil(t, res.Err, turn("error"))
		require.Equal(t, failure.KindServerError, res.Err.Kind, turn("error kind"))
		require.Equal(t, want.errMsg, res.Err.Msg, turn("error message"))
		require.Zero(t, res.CloseCode, turn("close code: nobody closed the socket"))
	}
	require.Equal(t, want.tokens, res.Chunks, turn("token frames"))
	require.Equal(t, want.tokens, res.Tokens, turn("tokens"))
	require.Equal(t, chatws.TokensFrames, res.TokensSource, turn("tokens source"))
	require.Equal(t, want.text, res.Text, turn("text"))
	if id != "" {
		require.Equal(t, id, res.MessageID, turn("messageId"))
	}
	for _, got := range want.ids {
		require.Equal(t, res.MessageID, got, turn("messageId of the server's frames"))
	}

	// Timing follows the capture's order: the server wrote nothing earlier than recorded (scaled)
	// after it read the prompt, and the client's clock started before it wrote the prompt.
	require.Equal(t, want.hasTokens, res.HasTTFT, turn("has TTFT"))
	if res.HasTTFT {
		require.GreaterOrEqual(t, res.TTFT, scaled(want.ttft), turn("TTFT vs the capture's"))
		require.LessOrEqual(t, res.TTFT, res.Duration, turn("TTFT <= duration"))
		require.Equal(t, want.tokens-1, res.ITL.Count, turn("one ITL per gap"))
	}
	require.GreaterOrEqual(t, res.Duration, scaled(want.duration), turn("duration vs the capture's"))
}
