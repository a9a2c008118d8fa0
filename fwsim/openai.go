package fwsim

import (
	"encoding/json"
	"slices"
	"strings"
)

// openAI is the OpenAI-style chat-completions chunk framing over WebSocket (/v1/chat/stream).
//
//	client: {"model":"m","messages":[{"role":"user","content":"<prompt>"}],"stream":true,
//	         "stream_options":{"include_usage":true}}
//	server: {"id":..,"object":"chat.completion.chunk","created":..,"model":..,
//	         "choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}
//	        ... "choices":[{"index":0,"delta":{"content":"<text>"},"finish_reason":null}]
//	        ... "choices":[{"index":0,"delta":{},"finish_reason":"stop"}]
//	        ... "choices":[],"usage":{"prompt_tokens":P,"completion_tokens":N,"total_tokens":P+N}
//	        [DONE]
//	error:  {"error":{"message":"..","type":"server_error","code":".."}} (no [DONE] follows)
//
// The usage chunk is sent unless the request says stream_options.include_usage=false.
type openAI struct{}

func (openAI) id() protocolID { return protoOpenAI }

type openAIRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	StreamOptions *struct {
		IncludeUsage *bool `json:"include_usage"`
	} `json:"stream_options"`
}

// messageText reads a message content: a string, or an array of {"type":"text","text":..} parts.
func messageText(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", false
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" || p.Type == "input_text" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), true
}

func (openAI) parse(c *wsConn, mt int, data []byte) request {
	var m openAIRequest
	if bad, ok := decodeJSONFrame(mt, data, &m); !ok {
		return bad
	}
	if len(m.Messages) == 0 {
		return request{kind: reqInvalid, msg: "messages must be a non-empty array"}
	}
	last := m.Messages[len(m.Messages)-1]
	for _, msg := range slices.Backward(m.Messages) {
		if msg.Role == "user" {
			last = msg
			break
		}
	}
	prompt, ok := messageText(last.Content)
	if !ok {
		return request{kind: reqInvalid, msg: "message content must be a string or an array of text parts"}
	}
	if m.Model == "" {
		m.Model = "fwsim"
	}
	usage := m.StreamOptions == nil || m.StreamOptions.IncludeUsage == nil || *m.StreamOptions.IncludeUsage
	return request{kind: reqTurn, prompt: prompt, model: m.Model, usage: usage, id: c.nextID("chatcmpl-fwsim-")}
}

func (openAI) open(*wsConn) error { return nil }

func (openAI) head(b []byte, t *turn) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, t.req.id)
	b = append(b, `,"object":"chat.completion.chunk","created":`...)
	b = appendInt(b, t.created)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, t.req.model)
	return append(b, `,"choices":[`...)
}

func (o openAI) begin(c *wsConn, t *turn) error {
	c.buf = o.head(c.buf[:0], t)
	c.buf = append(c.buf, `{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}`...)
	return c.send(c.buf)
}

func (o openAI) appendContent(b []byte, t *turn, tok []byte) []byte {
	b = o.head(b, t)
	b = append(b, `{"index":0,"delta":{"content":`...)
	b = appendJSONString(b, tok)
	return append(b, `},"finish_reason":null}]}`...)
}

func (o openAI) token(c *wsConn, t *turn, tok []byte) error {
	c.buf = o.appendContent(c.buf[:0], t, tok)
	return c.send(c.buf)
}

func promptTokens(prompt string, tokenBytes int) int {
	n := (len(prompt) + tokenBytes - 1) / tokenBytes
	return max(n, 1)
}

func (o openAI) complete(c *wsConn, t *turn) error {
	c.buf = o.head(c.buf[:0], t)
	c.buf = append(c.buf, `{"index":0,"delta":{},"finish_reason":"stop"}]}`...)
	if err := c.send(c.buf); err != nil {
		return err
	}
	if t.req.usage {
		p := int64(promptTokens(t.req.prompt, c.s.cfg.TokenBytes))
		c.buf = o.head(c.buf[:0], t)
		c.buf = append(c.buf, `],"usage":{"prompt_tokens":`...)
		c.buf = appendInt(c.buf, p)
		c.buf = append(c.buf, `,"completion_tokens":`...)
		c.buf = appendInt(c.buf, int64(t.sent))
		c.buf = append(c.buf, `,"total_tokens":`...)
		c.buf = appendInt(c.buf, p+int64(t.sent))
		c.buf = append(c.buf, `}}`...)
		if err := c.send(c.buf); err != nil {
			return err
		}
	}
	c.buf = append(c.buf[:0], "[DONE]"...)
	return c.send(c.buf)
}

func (openAI) sendError(c *wsConn, msg, typ, code string) error {
	c.buf = append(c.buf[:0], `{"error":{"message":`...)
	c.buf = appendJSONString(c.buf, msg)
	c.buf = append(c.buf, `,"type":`...)
	c.buf = appendJSONString(c.buf, typ)
	c.buf = append(c.buf, `,"code":`...)
	c.buf = appendJSONString(c.buf, code)
	c.buf = append(c.buf, `}}`...)
	return c.send(c.buf)
}

// fail sends an in-stream error and then ends the reply with [DONE], as OpenAI-style servers do.
func (o openAI) fail(c *wsConn, t *turn, msg string) error {
	if err := o.sendError(c, msg, "server_error", "fwsim_injected_error"); err != nil {
		return err
	}
	// The turn has failed with its error frame; a client that stops reading after it (openai with
	// doneOn finish_reason) may be gone before the terminal frame, which changes nothing.
	_ = o.complete(c, t)
	return nil
}

func (o openAI) invalid(c *wsConn, r *request) error {
	return o.sendError(c, r.msg, "invalid_request_error", "invalid_request")
}

func (o openAI) malformed(c *wsConn, t *turn) error {
	c.buf = o.appendContent(c.buf[:0], t, []byte("malformed"))
	return c.sendTruncated(c.buf)
}
