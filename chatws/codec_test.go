package chatws

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type decodeCase struct {
	name  string
	frame string
	kind  EventKind
	text  string
	usage int // -1: none
	msg   string
	err   bool
}

func runDecodeCases(t *testing.T, c Codec, cases []decodeCase) {
	t.Helper()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := c.Decode([]byte(tc.frame), "m1")
			if tc.err {
				require.Error(t, err, "case %d", i)
				return
			}
			require.NoError(t, err, "case %d", i)
			require.Equal(t, tc.kind, ev.Kind, "kind")
			require.Equal(t, tc.text, string(ev.Text), "text")
			if tc.usage >= 0 {
				require.True(t, ev.HasUsage, "usage present")
				require.Equal(t, tc.usage, ev.Usage)
			} else {
				require.False(t, ev.HasUsage, "usage absent")
			}
			require.Equal(t, tc.msg, ev.Message)
		})
	}
}

func mustCodec(t testing.TB, p Protocol) Codec {
	t.Helper()
	c, err := NewCodec(p)
	require.NoError(t, err)
	return c
}

func TestDecodeFeatherweight(t *testing.T) {
	t.Parallel()
	runDecodeCases(t, mustCodec(t, Protocol{}), []decodeCase{
		{"01 token", `{"type":"stream_event","event":{"type":"token","data":"Hel","messageId":"m1"},"timestamp":"2026-01-01T00:00:00Z"}`, EventToken, "Hel", -1, "", false},
		{"02 token no id", `{"type":"stream_event","event":{"type":"token","data":"lo"}}`, EventToken, "lo", -1, "", false},
		{"03 escaped token", `{"type":"stream_event","event":{"type":"token","data":"a\"b\n\u00e9","messageId":"m1"}}`, EventToken, "a\"b\né", -1, "", false},
		{"04 empty token", `{"type":"stream_event","event":{"type":"token","data":"","messageId":"m1"}}`, EventToken, "", -1, "", false},
		{"05 other turn token ignored", `{"type":"stream_event","event":{"type":"token","data":"x","messageId":"m2"}}`, EventIgnore, "", -1, "", false},
		{"06 complete", `{"type":"stream_event","event":{"type":"complete","data":""}}`, EventDone, "", -1, "", false},
		{"07 complete other turn", `{"type":"stream_event","event":{"type":"complete","data":"","messageId":"zz"}}`, EventIgnore, "", -1, "", false},
		{"08 error", `{"type":"error","content":"overloaded","messageId":"m1"}`, EventError, "", -1, "overloaded", false},
		{"09 error no id", `{"type":"error","content":"bad message"}`, EventError, "", -1, "bad message", false},
		{"10 error other turn", `{"type":"error","content":"x","messageId":"m9"}`, EventIgnore, "", -1, "", false},
		{"11 keepalive", `{"type":"ping"}`, EventIgnore, "", -1, "", false},
		{"12 unsolicited broadcast", `{"type":"broadcast","content":"hz=100"}`, EventIgnore, "", -1, "", false},
		{"13 unknown stream event", `{"type":"stream_event","event":{"type":"thinking","data":"..."}}`, EventIgnore, "", -1, "", false},
		{"14 no type", `{"hello":1}`, EventIgnore, "", -1, "", false},
		{"15 not json", `hello`, 0, "", -1, "", true},
		{"16 truncated", `{"type":"stream_event","event":{"type":"tok`, 0, "", -1, "", true},
		{"17 complete with usage", `{"type":"stream_event","event":{"type":"complete","data":"","usage":{"output_tokens":7}}}`, EventDone, "", 7, "", false},
		{"18 type first not", `{"event":{"type":"token","data":"x"},"type":"stream_event"}`, EventToken, "x", -1, "", false},
	})
}

func TestDecodeUnified(t *testing.T) {
	t.Parallel()
	runDecodeCases(t, mustCodec(t, Protocol{Name: ProtoFeatherweightUnified}), []decodeCase{
		{"01 chunk", `{"type":"chunk","content":"Hi"}`, EventToken, "Hi", -1, "", false},
		{"02 end", `{"type":"end"}`, EventDone, "", -1, "", false},
		{"03 error", `{"type":"error","message":"boom"}`, EventError, "", -1, "boom", false},
		{"04 keepalive", `{"type":"heartbeat"}`, EventIgnore, "", -1, "", false},
		{"05 not json", `[END]`, 0, "", -1, "", true},
	})
}

func TestDecodeOpenAI(t *testing.T) {
	t.Parallel()
	cases := []decodeCase{
		{"01 role-only first chunk", `{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`, EventToken, "", -1, "", false},
		{"02 role-only no content", `{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}`, EventToken, "", -1, "", false},
		{"03 content", `{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}`, EventToken, "Hel", -1, "", false},
		{"04 finish chunk", `{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, EventToken, "", -1, "", false},
		{"05 usage-only", `{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":12,"total_tokens":15}}`, EventIgnore, "", 12, "", false},
		{"06 DONE", `[DONE]`, EventDone, "", -1, "", false},
		{"07 SSE DONE", "data: [DONE]\n\n", EventDone, "", -1, "", false},
		{"08 SSE chunk", `data: {"choices":[{"delta":{"content":"x"}}]}`, EventToken, "x", -1, "", false},
		{"09 in-stream error", `{"error":{"message":"rate limited","type":"server_error"}}`, EventError, "", -1, "rate limited", false},
		{"10 null error", `{"error":null,"choices":[{"delta":{"content":"y"}}]}`, EventToken, "y", -1, "", false},
		{"11 usage null", `{"choices":[{"delta":{"content":"z"}}],"usage":null}`, EventToken, "z", -1, "", false},
		{"12 keepalive empty", ``, EventIgnore, "", -1, "", false},
		{"13 not json", `garbage`, 0, "", -1, "", true},
		{"14 unknown object", `{"object":"status","msg":"warming"}`, EventIgnore, "", -1, "", false},
	}
	runDecodeCases(t, mustCodec(t, Protocol{Name: ProtoOpenAI}), cases)

	fin := mustCodec(t, Protocol{Name: ProtoOpenAI, DoneOn: "finish_reason"})
	runDecodeCases(t, fin, []decodeCase{
		{"01 finish ends", `{"choices":[{"delta":{"content":"!"},"finish_reason":"stop"}]}`, EventDone, "!", -1, "", false},
		{"02 null finish", `{"choices":[{"delta":{"content":"a"},"finish_reason":null}]}`, EventToken, "a", -1, "", false},
		{"03 trailing usage ignored", `{"choices":[],"usage":{"completion_tokens":5}}`, EventIgnore, "", -1, "", false},
		{"04 trailing DONE ignored", `[DONE]`, EventIgnore, "", -1, "", false},
	})
	_, err := NewCodec(Protocol{Name: ProtoOpenAI, DoneOn: "eventually"})
	require.Error(t, err)
}

func TestDecodeRealtime(t *testing.T) {
	t.Parallel()
	runDecodeCases(t, mustCodec(t, Protocol{Name: ProtoOpenAIRealtime}), []decodeCase{
		{"01 output_text delta", `{"type":"response.output_text.delta","delta":"He","item_id":"i"}`, EventToken, "He", -1, "", false},
		{"02 text delta", `{"type":"response.text.delta","delta":"y"}`, EventToken, "y", -1, "", false},
		{"03 done completed", `{"type":"response.done","response":{"status":"completed","usage":{"output_tokens":9}}}`, EventDone, "", 9, "", false},
		{"04 done failed", `{"type":"response.done","response":{"status":"failed","status_details":{"error":{"message":"oops"}}}}`, EventError, "", -1, "response failed: oops", false},
		{"05 error", `{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}`, EventError, "", -1, "bad", false},
		{"06 session.created", `{"type":"session.created","session":{}}`, EventIgnore, "", -1, "", false},
		{"07 not json", `x`, 0, "", -1, "", true},
	})
}

func TestDecodeText(t *testing.T) {
	t.Parallel()
	runDecodeCases(t, mustCodec(t, Protocol{Name: ProtoText}), []decodeCase{
		{"01 token", `Hello`, EventToken, "Hello", -1, "", false},
		{"02 sentinel", `[END]`, EventDone, "", -1, "", false},
		{"03 token+sentinel", `bye[END]`, EventDone, "bye", -1, "", false},
		{"04 empty", ``, EventToken, "", -1, "", false},
		{"05 error prefix", `[ERROR] boom`, EventError, "", -1, "boom", false},
		{"06 invalid utf-8", "\xff\xfe", 0, "", -1, "", true},
	})
	runDecodeCases(t, mustCodec(t, Protocol{Name: ProtoText, EndSentinel: "<eos>"}), []decodeCase{
		{"01 custom sentinel", `<eos>`, EventDone, "", -1, "", false},
		{"02 default not special", `[END]`, EventToken, "[END]", -1, "", false},
	})
}

func TestDecodeCustom(t *testing.T) {
	t.Parallel()
	c := mustCodec(t, Protocol{
		Name: ProtoCustom, TypeField: "kind", TokenTypes: []string{"delta", "tok"}, DoneTypes: []string{"fin"},
		ErrorTypes: []string{"err"}, TextField: "payload.text", ErrorField: "payload.reason", UsageField: "stats.n",
	})
	runDecodeCases(t, c, []decodeCase{
		{"01 token", `{"kind":"delta","payload":{"text":"a"}}`, EventToken, "a", -1, "", false},
		{"02 second token type", `{"kind":"tok","payload":{"text":"b"}}`, EventToken, "b", -1, "", false},
		{"03 done usage", `{"kind":"fin","stats":{"n":4}}`, EventDone, "", 4, "", false},
		{"04 error", `{"kind":"err","payload":{"reason":"nope"}}`, EventError, "", -1, "nope", false},
		{"05 keepalive", `{"kind":"ping"}`, EventIgnore, "", -1, "", false},
		{"06 no type", `{"payload":{}}`, EventIgnore, "", -1, "", false},
		{"07 non-json ignored", `ping`, EventIgnore, "", -1, "", false},
		{"08 malformed ignored", `{"kind":`, EventIgnore, "", -1, "", false},
	})
	_, err := NewCodec(Protocol{Name: ProtoCustom})
	require.Error(t, err)
	_, err = NewCodec(Protocol{Name: "nope"})
	require.ErrorContains(t, err, "unknown protocol")
}

func TestEffectiveName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    Protocol
		want string
	}{
		{Protocol{}, ProtoFeatherweight},
		{Protocol{Name: ProtoOpenAI}, ProtoOpenAI},
		{Protocol{TokenTypes: []string{"t"}, DoneTypes: []string{"d"}}, ProtoCustom},
		{Protocol{UsageField: "n"}, ProtoCustom},
		{Protocol{Name: ProtoText, TypeField: "kind"}, ProtoText},
	} {
		require.Equal(t, tc.want, tc.p.EffectiveName(), "%+v", tc.p)
	}
	c := mustCodec(t, Protocol{TypeField: "kind", TokenTypes: []string{"delta"}, DoneTypes: []string{"fin"}})
	require.Equal(t, ProtoCustom, c.Name())
	ev, err := c.Decode([]byte(`{"kind":"delta","content":"a"}`), "m1")
	require.NoError(t, err)
	require.Equal(t, EventToken, ev.Kind)
	_, err = NewCodec(Protocol{TypeField: "kind"})
	require.ErrorContains(t, err, "tokenTypes and doneTypes", "an inferred custom mapping is validated")
}

func TestEncodeRequests(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	prompt := "say \"hi\"\n\x01é"

	frames, text, err := mustCodec(t, Protocol{}).EncodeRequest(prompt, "m1", now)
	require.NoError(t, err)
	require.True(t, text)
	require.Len(t, frames, 1)
	var fw struct{ Type, Content, MessageID, Timestamp string }
	require.NoError(t, json.Unmarshal(frames[0], &fw))
	require.Equal(t, "user_message", fw.Type)
	require.Equal(t, prompt, fw.Content)
	require.Equal(t, "m1", fw.MessageID)
	ts, err := time.Parse(time.RFC3339, fw.Timestamp)
	require.NoError(t, err)
	require.True(t, ts.Equal(now))

	frames, _, err = mustCodec(t, Protocol{Name: ProtoOpenAI, Model: "m-x"}).EncodeRequest(prompt, "m1", now)
	require.NoError(t, err)
	var oa struct {
		Model    string
		Stream   bool
		Messages []struct{ Role, Content string }
	}
	require.NoError(t, json.Unmarshal(frames[0], &oa))
	require.Equal(t, "m-x", oa.Model)
	require.True(t, oa.Stream)
	require.Equal(t, prompt, oa.Messages[0].Content)

	frames, _, err = mustCodec(t, Protocol{Name: ProtoOpenAIRealtime}).EncodeRequest(prompt, "m1", now)
	require.NoError(t, err)
	require.Len(t, frames, 2)
	for _, f := range frames {
		require.True(t, json.Valid(f), string(f))
	}
	require.Contains(t, string(frames[1]), "response.create")

	frames, _, err = mustCodec(t, Protocol{Name: ProtoFeatherweightUnified}).EncodeRequest(prompt, "m1", now)
	require.NoError(t, err)
	var un struct{ Message string }
	require.NoError(t, json.Unmarshal(frames[0], &un))
	require.Equal(t, prompt, un.Message)

	frames, _, err = mustCodec(t, Protocol{Name: ProtoText}).EncodeRequest(prompt, "m1", now)
	require.NoError(t, err)
	require.Equal(t, prompt, string(frames[0]))

	cp := Protocol{Name: ProtoCustom, TokenTypes: []string{"t"}, DoneTypes: []string{"d"}, PromptField: "input.text"}
	frames, _, err = mustCodec(t, cp).EncodeRequest(prompt, "m1", now)
	require.NoError(t, err)
	var cu struct{ Input struct{ Text string } }
	require.NoError(t, json.Unmarshal(frames[0], &cu))
	require.Equal(t, prompt, cu.Input.Text)

	cp.PromptField, cp.Request = "", `{"q":"{{prompt}}","id":"{{ messageId }}"}`
	frames, _, err = mustCodec(t, cp).EncodeRequest(prompt, "m1", now)
	require.NoError(t, err)
	var ct struct{ Q, ID string }
	require.NoError(t, json.Unmarshal(frames[0], &ct))
	require.Equal(t, prompt, ct.Q)
	require.Equal(t, "m1", ct.ID)

	cp.Request = `{"q":"{{nope}}"}`
	_, err = NewCodec(cp)
	require.ErrorContains(t, err, "unknown placeholder")
}

func TestLookup(t *testing.T) {
	t.Parallel()
	doc := []byte(` { "a" : { "b" : [ 1 , {"c":"x\"y"} , "z" ] }, "k\u0065y": true } `)
	raw, ok, err := lookup(doc, path{"a", "b", "1", "c"})
	require.NoError(t, err)
	require.True(t, ok)
	s, ok := stringValue(raw)
	require.True(t, ok)
	require.Equal(t, `x"y`, string(s))
	raw, ok, err = lookup(doc, path{"key"})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "true", string(raw))
	_, ok, err = lookup(doc, path{"a", "b", "7"})
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, _ = lookup(doc, path{"a", "b", "x"})
	require.False(t, ok)
	require.Equal(t, "a\\u0001\\\"", string(appendJSONString(nil, "a\x01\"")))
	require.True(t, strings.HasPrefix(string(appendJSONString(nil, "\xff")), `\ufffd`))
}
