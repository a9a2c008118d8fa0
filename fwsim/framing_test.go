package fwsim_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// TestFramingsSequentialTurns runs three turns on one connection in every framing.
func TestFramingsSequentialTurns(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ws := dial(t, ts.ws(d.path))
			texts := map[string]string{}
			for _, p := range []string{"hello", "world", "hello"} {
				r := runTurn(t, ws, d, p)
				require.NoError(t, r.readErr)
				require.Equal(t, kDone, r.end, "prompt %q", p)
				require.Equal(t, 5, r.tokens)
				require.Len(t, r.text, 5*4, "5 tokens of 4 characters")
				if prev, ok := texts[p]; ok {
					require.Equal(t, prev, r.text, "same prompt, same reply")
				}
				texts[p] = r.text
			}
			require.NotEqual(t, texts["hello"], texts["world"], "replies vary with the prompt")
		})
	}
}

func TestOrchestratorFrames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ws := dial(t, ts.ws("/api/chat"))
	for _, id := range []string{"m-1", "m-2"} {
		send(t, ws, orchestratorMsg("tell me", id))
		for i := range 5 {
			m := readJSON(t, ws)
			require.Equal(t, "stream_event", m["type"], "token %d", i)
			ev := m["event"].(map[string]any)
			require.Equal(t, "token", ev["type"])
			require.Equal(t, id, ev["messageId"], "messageId echoed on every token")
			require.NotEmpty(t, ev["data"])
			_, err := time.Parse(time.RFC3339Nano, m["timestamp"].(string))
			require.NoError(t, err)
		}
		m := readJSON(t, ws)
		require.Equal(t, "stream_event", m["type"])
		require.Equal(t, "complete", m["event"].(map[string]any)["type"])
		require.Equal(t, "", m["event"].(map[string]any)["data"])
	}
}

func TestOrchestratorRejects(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	cases := []struct {
		name   string
		frame  string
		binary bool
		substr string
	}{
		{name: "type chat", frame: `{"type":"chat","content":"hi","messageId":"a","timestamp":"2026-01-02T03:04:05Z"}`, substr: "user_message"},
		{name: "numeric timestamp", frame: `{"type":"user_message","content":"hi","messageId":"b","timestamp":1767323045}`, substr: "timestamp"},
		{name: "bad timestamp string", frame: `{"type":"user_message","content":"hi","messageId":"c","timestamp":"yesterday"}`, substr: "RFC 3339"},
		{name: "bad JSON", frame: `{"type":"user_message",`, substr: "invalid JSON"},
		{name: "not an object", frame: `[1,2]`, substr: "invalid JSON"},
		{name: "missing content", frame: `{"type":"user_message","messageId":"d","timestamp":"2026-01-02T03:04:05Z"}`, substr: "content"},
		{name: "numeric content", frame: `{"type":"user_message","content":7,"messageId":"e"}`, substr: "content"},
		{name: "numeric messageId", frame: `{"type":"user_message","content":"hi","messageId":5}`, substr: "messageId"},
		{name: "binary frame", frame: `{"type":"user_message","content":"hi"}`, binary: true, substr: "binary"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := dial(t, ts.ws("/api/chat"))
			mt := websocket.TextMessage
			if tc.binary {
				mt = websocket.BinaryMessage
			}
			require.NoError(t, ws.WriteMessage(mt, []byte(tc.frame)))
			m := readJSON(t, ws)
			require.Equal(t, "error", m["type"])
			require.Contains(t, m["content"], tc.substr)
			require.Len(t, m, 2, "a schema or JSON error is type and content only (no messageId, no timestamp): %v", m)
			// Nothing follows it, and the connection stays usable.
			r := runTurn(t, ws, drivers[0], "after")
			require.Equal(t, kDone, r.end)
		})
	}
}

func TestUnifiedRejects(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ws := dial(t, ts.ws("/api/chat/unified"))
	for _, tc := range []struct{ frame, msg string }{
		{`{"message":`, "Invalid JSON"},
		{`{not json`, "Invalid JSON"},
		{`{"msg":"x"}`, "Missing message"},
		{`{"message":""}`, "Missing message"},
		{`[1]`, "Missing message"},
	} {
		send(t, ws, tc.frame)
		require.Equal(t, map[string]any{"type": "error", "message": tc.msg}, readJSON(t, ws), tc.frame)
	}
	// The errors came alone: the next message streams normally.
	r := runTurn(t, ws, drivers[1], "after")
	require.Equal(t, kDone, r.end)
	require.Equal(t, 5, r.tokens)
}

func TestOpenAIFrames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ws := dial(t, ts.ws("/v1/chat/stream"))

	type chunk struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Model   string `json:"model"`
		Choices []struct {
			Index        int               `json:"index"`
			Delta        map[string]string `json:"delta"`
			FinishReason *string           `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			Prompt     int `json:"prompt_tokens"`
			Completion int `json:"completion_tokens"`
			Total      int `json:"total_tokens"`
		} `json:"usage"`
	}
	readChunk := func() chunk {
		_, data, err := read(t, ws)
		require.NoError(t, err)
		var c chunk
		require.NoError(t, json.Unmarshal(data, &c), "%s", data)
		require.Equal(t, "chat.completion.chunk", c.Object)
		require.Equal(t, "gpt-test", c.Model)
		return c
	}
	for _, tc := range []struct {
		options string
		usage   bool
	}{{"", true}, {`,"stream_options":{"include_usage":true}`, true}, {`,"stream_options":{"include_usage":false}`, false}} {
		send(t, ws, `{"model":"gpt-test","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"stream":true`+tc.options+`}`)
		first := readChunk()
		require.Len(t, first.Choices, 1)
		require.Equal(t, map[string]string{"role": "assistant"}, first.Choices[0].Delta, "role-only first chunk")
		require.Nil(t, first.Choices[0].FinishReason)
		for range 5 {
			c := readChunk()
			require.Equal(t, first.ID, c.ID)
			require.NotEmpty(t, c.Choices[0].Delta["content"])
			require.Nil(t, c.Choices[0].FinishReason)
		}
		stop := readChunk()
		require.Empty(t, stop.Choices[0].Delta)
		require.NotNil(t, stop.Choices[0].FinishReason)
		require.Equal(t, "stop", *stop.Choices[0].FinishReason)
		if tc.usage {
			u := readChunk()
			require.Empty(t, u.Choices)
			require.NotNil(t, u.Usage)
			require.Equal(t, 5, u.Usage.Completion)
			require.Equal(t, u.Usage.Prompt+5, u.Usage.Total)
		}
		_, data, err := read(t, ws)
		require.NoError(t, err)
		require.Equal(t, "[DONE]", string(data))
	}
	// An invalid request gets an in-stream error.
	send(t, ws, `{"model":"m","messages":[]}`)
	m := readJSON(t, ws)
	require.Equal(t, "invalid_request_error", m["error"].(map[string]any)["type"])
}

func TestRealtimeFrames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ws := dial(t, ts.ws("/v1/realtime"))
	require.Equal(t, "session.created", readJSON(t, ws)["type"])

	check := func(respID *string) {
		m := readJSON(t, ws)
		require.Equal(t, "response.created", m["type"])
		*respID = m["response"].(map[string]any)["id"].(string)
		var text strings.Builder
		for range 5 {
			m = readJSON(t, ws)
			require.Equal(t, "response.output_text.delta", m["type"])
			require.Equal(t, *respID, m["response_id"])
			text.WriteString(m["delta"].(string))
		}
		m = readJSON(t, ws)
		require.Equal(t, "response.output_text.done", m["type"])
		require.Equal(t, text.String(), m["text"])
		m = readJSON(t, ws)
		require.Equal(t, "response.done", m["type"])
		resp := m["response"].(map[string]any)
		require.Equal(t, "completed", resp["status"])
		require.EqualValues(t, 5, resp["usage"].(map[string]any)["output_tokens"])
	}
	var id1, id2 string
	send(t, ws, `{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}}`)
	require.Equal(t, "conversation.item.created", readJSON(t, ws)["type"])
	send(t, ws, `{"type":"response.create","response":{"modalities":["text"]}}`)
	check(&id1)
	send(t, ws, `{"type":"response.create","response":{"instructions":"say something"}}`)
	check(&id2)
	require.NotEqual(t, id1, id2)

	send(t, ws, `{"type":"input_audio_buffer.append","audio":""}`)
	m := readJSON(t, ws)
	require.Equal(t, "error", m["type"])
	require.Equal(t, "invalid_request_error", m["error"].(map[string]any)["type"])
}

func TestTextSentinel(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *fwsim.Config) { c.EndSentinel = "<<done>>" })
	ws := dial(t, ts.ws("/ws/text"))
	for range 2 {
		send(t, ws, "a prompt")
		for range 5 {
			_, data, err := read(t, ws)
			require.NoError(t, err)
			require.Len(t, data, 4)
		}
		_, data, err := read(t, ws)
		require.NoError(t, err)
		require.Equal(t, "<<done>>", string(data))
	}
}
