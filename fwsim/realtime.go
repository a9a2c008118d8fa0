package fwsim

import (
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// realtime is the OpenAI Realtime-style event framing (/v1/realtime), text modality only.
//
// On connect the server sends session.created. Client events:
//
//	{"type":"conversation.item.create","item":{"type":"message","role":"user",
//	  "content":[{"type":"input_text","text":"<prompt>"}]}}      -> conversation.item.created
//	{"type":"response.create","response":{"instructions":"<prompt>"}} -> one turn
//	{"type":"session.update",...}                                  -> session.updated
//
// A turn's prompt is response.instructions when set, else the text of the items created since the
// previous response.create. Server events per turn: response.created,
// response.output_text.delta ({"delta":..}) per token, response.output_text.done ({"text":..}),
// response.done ({"response":{"status":"completed","usage":{..,"output_tokens":N}}}).
// Errors: {"type":"error","error":{"type":"server_error"|"invalid_request_error",..}}; an injected
// error is followed by response.done with status "failed".
type realtime struct{}

func (realtime) id() protocolID { return protoRealtime }

type realtimeEvent struct {
	Type    string `json:"type"`
	EventID string `json:"event_id"`
	Item    *struct {
		Type    string          `json:"type"`
		Role    string          `json:"role"`
		Content realtimeContent `json:"content"`
	} `json:"item"`
	Response *struct {
		Instructions string `json:"instructions"`
	} `json:"response"`
}

func (realtime) parse(c *wsConn, mt int, data []byte) request {
	var ev realtimeEvent
	if bad, ok := decodeJSONFrame(mt, data, &ev); !ok {
		return bad
	}
	switch ev.Type {
	case "conversation.item.create":
		if ev.Item == nil {
			return request{kind: reqInvalid, msg: "conversation.item.create without item"}
		}
		if msg := c.addPendingItem(ev.Item.Content); msg != "" {
			return request{kind: reqInvalid, msg: msg}
		}
		b := []byte(`{"type":"conversation.item.created","event_id":`)
		b = appendJSONString(b, c.nextID("evt_fwsim_in_"))
		b = append(b, `,"item":{"id":`...)
		b = appendJSONString(b, c.nextID("item_fwsim_"))
		b = append(b, `,"object":"realtime.item","type":"message","role":"user","status":"completed"}}`...)
		return request{kind: reqFrame, frame: b}
	case "response.create":
		prompt := string(c.pending)
		if ev.Response != nil && ev.Response.Instructions != "" {
			prompt = ev.Response.Instructions
		}
		c.pending = trimBuf(c.pending)
		c.pendingItems = 0
		return request{kind: reqTurn, prompt: prompt, id: c.nextID("resp_fwsim_")}
	case "session.update":
		b := []byte(`{"type":"session.updated","event_id":`)
		b = appendJSONString(b, c.nextID("evt_fwsim_in_"))
		b = append(b, `,"session":{"object":"realtime.session","modalities":["text"]}}`...)
		return request{kind: reqFrame, frame: b}
	case "":
		return request{kind: reqInvalid, msg: `missing event "type"`}
	default:
		return request{kind: reqInvalid, msg: `unsupported event type "` + ev.Type + `"`}
	}
}

// realtimeContent is the content of a conversation item.
type realtimeContent = []struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// addPendingItem keeps an item's text for the next response.create. It refuses (returning the
// error message, the item dropped) an item beyond Config.MaxPendingItems or one that would make
// the pending text longer than Config.ReadLimit: a client that never sends response.create must
// not grow the connection without bound.
func (c *wsConn) addPendingItem(content realtimeContent) string {
	cfg := &c.s.cfg
	if c.pendingItems >= cfg.MaxPendingItems {
		return "too many conversation items pending: at most " + strconv.Itoa(cfg.MaxPendingItems) +
			" before response.create; item dropped"
	}
	n := len(c.pending)
	for _, part := range content {
		if part.Type == "input_text" || part.Type == "text" {
			n += 1 + len(part.Text)
		}
	}
	if int64(n) > cfg.ReadLimit {
		return "pending conversation text too long: at most " + strconv.FormatInt(cfg.ReadLimit, 10) +
			" bytes before response.create; item dropped"
	}
	for _, part := range content {
		if part.Type == "input_text" || part.Type == "text" {
			if len(c.pending) > 0 {
				c.pending = append(c.pending, '\n')
			}
			c.pending = append(c.pending, part.Text...)
		}
	}
	c.pendingItems++
	return ""
}

// head starts an event with its type and a fresh event_id.
func (realtime) head(c *wsConn, typ string) []byte {
	c.evSeq++
	b := c.buf[:0]
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","event_id":"evt_fwsim_`...)
	b = strconv.AppendUint(b, c.id, 10)
	b = append(b, '_')
	b = strconv.AppendUint(b, c.evSeq, 10)
	return append(b, '"')
}

func (r realtime) open(c *wsConn) error {
	c.buf = r.head(c, "session.created")
	c.buf = append(c.buf, `,"session":{"id":"sess_fwsim_`...)
	c.buf = strconv.AppendUint(c.buf, c.id, 10)
	c.buf = append(c.buf, `","object":"realtime.session","modalities":["text"]}}`...)
	return c.send(c.buf)
}

func (realtime) appendResponse(b []byte, t *turn, status string) []byte {
	b = append(b, `,"response":{"id":`...)
	b = appendJSONString(b, t.req.id)
	b = append(b, `,"object":"realtime.response","status":"`...)
	return append(b, status...)
}

func (r realtime) begin(c *wsConn, t *turn) error {
	c.buf = r.head(c, "response.created")
	c.buf = r.appendResponse(c.buf, t, "in_progress")
	c.buf = append(c.buf, `","output":[]}}`...)
	return c.send(c.buf)
}

func (r realtime) appendDelta(c *wsConn, t *turn, tok []byte) []byte {
	b := r.head(c, "response.output_text.delta")
	b = append(b, `,"response_id":`...)
	b = appendJSONString(b, t.req.id)
	b = append(b, `,"item_id":"item_`...)
	b = append(b, t.req.id...)
	b = append(b, `","output_index":0,"content_index":0,"delta":`...)
	b = appendJSONString(b, tok)
	return append(b, '}')
}

func (r realtime) token(c *wsConn, t *turn, tok []byte) error {
	c.buf = r.appendDelta(c, t, tok)
	return c.send(c.buf)
}

func (r realtime) done(c *wsConn, t *turn, status string) error {
	c.buf = r.head(c, "response.done")
	c.buf = r.appendResponse(c.buf, t, status)
	c.buf = append(c.buf, `","usage":{"total_tokens":`...)
	p := int64(promptTokens(t.req.prompt, c.s.cfg.TokenBytes))
	c.buf = appendInt(c.buf, p+int64(t.sent))
	c.buf = append(c.buf, `,"input_tokens":`...)
	c.buf = appendInt(c.buf, p)
	c.buf = append(c.buf, `,"output_tokens":`...)
	c.buf = appendInt(c.buf, int64(t.sent))
	c.buf = append(c.buf, `}}}`...)
	return c.send(c.buf)
}

func (r realtime) complete(c *wsConn, t *turn) error {
	c.buf = r.head(c, "response.output_text.done")
	c.buf = append(c.buf, `,"response_id":`...)
	c.buf = appendJSONString(c.buf, t.req.id)
	c.buf = append(c.buf, `,"item_id":"item_`...)
	c.buf = append(c.buf, t.req.id...)
	c.buf = append(c.buf, `","output_index":0,"content_index":0,"text":"`...)
	if err := r.sendText(c, t); err != nil {
		return err
	}
	return r.done(c, t, "completed")
}

// sendText writes c.buf, then the turn's whole reply as JSON string contents, then `"}`, as one
// frame. The reply is regenerated token by token (it is a function of seed and prompt) and
// streamed through the frame writer, so a long reply costs no per-connection memory.
func (realtime) sendText(c *wsConn, t *turn) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	w, err := c.ws.NextWriter(websocket.TextMessage)
	if err != nil {
		return err
	}
	if _, err := w.Write(c.buf); err != nil {
		_ = w.Close()
		return err
	}
	gen := newReplyGen(c.s.seed, t.req.prompt)
	for range t.sent {
		c.tok = gen.appendToken(c.tok[:0], c.s.cfg.TokenBytes)
		c.buf = appendJSONString(c.buf[:0], c.tok)
		if _, err := w.Write(c.buf[1 : len(c.buf)-1]); err != nil { // without the quotes
			_ = w.Close()
			return err
		}
	}
	if _, err := w.Write([]byte(`"}`)); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

func (r realtime) sendError(c *wsConn, typ, code, msg string) error {
	c.buf = r.head(c, "error")
	c.buf = append(c.buf, `,"error":{"type":`...)
	c.buf = appendJSONString(c.buf, typ)
	c.buf = append(c.buf, `,"code":`...)
	c.buf = appendJSONString(c.buf, code)
	c.buf = append(c.buf, `,"message":`...)
	c.buf = appendJSONString(c.buf, msg)
	c.buf = append(c.buf, `}}`...)
	return c.send(c.buf)
}

func (r realtime) fail(c *wsConn, t *turn, msg string) error {
	if err := r.sendError(c, "server_error", "fwsim_injected_error", msg); err != nil {
		return err
	}
	// The turn has failed with its error frame; a client that stops reading after it may be
	// gone before response.done, which changes nothing.
	_ = r.done(c, t, "failed")
	return nil
}

func (r realtime) invalid(c *wsConn, req *request) error {
	return r.sendError(c, "invalid_request_error", "invalid_request", req.msg)
}

func (r realtime) malformed(c *wsConn, t *turn) error {
	c.buf = r.appendDelta(c, t, []byte("malformed"))
	return c.sendTruncated(c.buf)
}
