package chatws

import "testing"

// fuzzDecoder checks that a codec never panics and returns consistent events on arbitrary input.
func fuzzDecoder(f *testing.F, p Protocol, seeds ...string) {
	c, err := NewCodec(p)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		ev, err := c.Decode(frame, "m1")
		if err != nil && ev.Kind != EventIgnore {
			t.Fatalf("error with event kind %d", ev.Kind)
		}
		if ev.Kind > EventError {
			t.Fatalf("bad kind %d", ev.Kind)
		}
	})
}

func FuzzDecodeFeatherweight(f *testing.F) {
	fuzzDecoder(f, Protocol{},
		`{"type":"stream_event","event":{"type":"token","data":"Hel","messageId":"m1"}}`,
		`{"type":"stream_event","event":{"type":"complete","data":""}}`,
		`{"type":"error","content":"x"}`, `{"type":"stream_event","event":[1,{"a":"\u00e9"}]}`)
}

func FuzzDecodeUnified(f *testing.F) {
	fuzzDecoder(f, Protocol{Name: ProtoFeatherweightUnified},
		`{"type":"chunk","content":"Hi"}`, `{"type":"end"}`, `{"type":"error","message":"boom"}`)
}

func FuzzDecodeOpenAI(f *testing.F) {
	fuzzDecoder(f, Protocol{Name: ProtoOpenAI, DoneOn: "finish_reason"},
		`{"choices":[{"delta":{"role":"assistant"},"finish_reason":null}]}`,
		`{"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}]}`,
		`{"choices":[],"usage":{"completion_tokens":5}}`, `[DONE]`, `data: [DONE]`,
		`{"error":{"message":"x"}}`)
}

func FuzzDecodeRealtime(f *testing.F) {
	fuzzDecoder(f, Protocol{Name: ProtoOpenAIRealtime},
		`{"type":"response.output_text.delta","delta":"x"}`,
		`{"type":"response.done","response":{"status":"failed","usage":{"output_tokens":1}}}`,
		`{"type":"error","error":{"message":"bad"}}`)
}

func FuzzDecodeText(f *testing.F) {
	fuzzDecoder(f, Protocol{Name: ProtoText}, `hello`, `[END]`, `x[END]`)
}

func FuzzDecodeCustom(f *testing.F) {
	fuzzDecoder(f, Protocol{
		Name: ProtoCustom, TypeField: "k.t", TokenTypes: []string{"tok"}, DoneTypes: []string{"fin"},
		ErrorTypes: []string{"err"}, TextField: "p.0.text", ErrorField: "reason", UsageField: "n",
	},
		`{"k":{"t":"tok"},"p":[{"text":"a"}]}`, `{"k":{"t":"fin"},"n":3}`, `{"k":{"t":"err"},"reason":"r"}`)
}
