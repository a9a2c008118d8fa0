package fwsim

import (
	"encoding/json"
	"time"
)

// orchestrator is the Featherweight chat orchestrator framing (/api/chat), frame for frame as the
// real orchestrator sends it (testdata/golden/orchestrator.jsonl):
//
//	client: {"type":"user_message","content":"<prompt>","messageId":"<id>","timestamp":"<RFC 3339>"}
//	server: {"type":"stream_event","event":{"type":"token","data":"<text>","messageId":"<id>"},"timestamp":"<ISO>"}
//	        {"type":"stream_event","event":{"type":"complete","data":"","messageId":"<id>"},"timestamp":"<ISO>"}
//	upstream failure: {"type":"error","content":"<message>","messageId":"<id>"}, then complete
//	schema or JSON error: {"type":"error","content":"<message>"}, and nothing after it
//
// No start event is sent. Timestamps are JavaScript ISO strings (milliseconds, Z). A
// user_message without messageId gets frames without one.
type orchestrator struct{}

// completeAfterError is the gap the real orchestrator leaves between an upstream failure's error
// frame and its complete frame (about 0.5 ms in the captures).
const completeAfterError = 500 * time.Microsecond

func (orchestrator) id() protocolID { return protoOrchestrator }

type orchestratorMsg struct {
	Type      string          `json:"type"`
	Content   json.RawMessage `json:"content"`
	MessageID json.RawMessage `json:"messageId"`
	Timestamp json.RawMessage `json:"timestamp"`
}

func (orchestrator) parse(c *wsConn, mt int, data []byte) request {
	var m orchestratorMsg
	if bad, ok := decodeJSONFrame(mt, data, &m); !ok {
		return bad
	}
	var id string
	if len(m.MessageID) > 0 && string(m.MessageID) != "null" {
		if err := json.Unmarshal(m.MessageID, &id); err != nil {
			return request{kind: reqInvalid, msg: "messageId must be a string"}
		}
	}
	if m.Type != "user_message" {
		return request{kind: reqInvalid, id: id, msg: `unsupported message type "` + m.Type + `": expected "user_message"`}
	}
	if len(m.Content) == 0 || string(m.Content) == "null" {
		return request{kind: reqInvalid, id: id, msg: "missing content"}
	}
	var content string
	if err := json.Unmarshal(m.Content, &content); err != nil {
		return request{kind: reqInvalid, id: id, msg: "content must be a string"}
	}
	if content == "" {
		return request{kind: reqInvalid, id: id, msg: "content must not be empty"}
	}
	if len(m.Timestamp) > 0 && string(m.Timestamp) != "null" {
		var ts string
		if err := json.Unmarshal(m.Timestamp, &ts); err != nil {
			return request{kind: reqInvalid, id: id, msg: "timestamp must be an RFC 3339 string"}
		}
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			return request{kind: reqInvalid, id: id, msg: "timestamp is not RFC 3339: " + err.Error()}
		}
	}
	if id == "" { // the turn log still needs an id; the frames carry none
		return request{kind: reqTurn, prompt: content, id: c.nextID("fwsim-"), anonymous: true}
	}
	return request{kind: reqTurn, prompt: content, id: id}
}

func (orchestrator) open(*wsConn) error { return nil }

func (orchestrator) begin(*wsConn, *turn) error { return nil }

func (orchestrator) appendEvent(b []byte, t *turn, typ string, data []byte) []byte {
	b = append(b, `{"type":"stream_event","event":{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","data":`...)
	b = appendJSONString(b, data)
	if !t.req.anonymous {
		b = append(b, `,"messageId":`...)
		b = appendJSONString(b, t.req.id)
	}
	b = append(b, `},"timestamp":`...)
	b = appendTimestamp(b, time.Now())
	return append(b, '}')
}

func (o orchestrator) token(c *wsConn, t *turn, tok []byte) error {
	c.buf = o.appendEvent(c.buf[:0], t, "token", tok)
	return c.send(c.buf)
}

func (o orchestrator) complete(c *wsConn, t *turn) error {
	c.buf = o.appendEvent(c.buf[:0], t, "complete", nil)
	return c.send(c.buf)
}

// appendError appends an error frame: no timestamp; the messageId only when id is not empty.
func (orchestrator) appendError(b []byte, msg, id string) []byte {
	b = append(b, `{"type":"error","content":`...)
	b = appendJSONString(b, msg)
	if id != "" {
		b = append(b, `,"messageId":`...)
		b = appendJSONString(b, id)
	}
	return append(b, '}')
}

// fail is an upstream failure: as the real orchestrator does, an error frame with the turn's
// messageId and, about 0.5 ms later, the complete frame (with the messageId too).
func (o orchestrator) fail(c *wsConn, t *turn, msg string) error {
	id := t.req.id
	if t.req.anonymous {
		id = ""
	}
	c.buf = o.appendError(c.buf[:0], msg, id)
	if err := c.send(c.buf); err != nil {
		return err
	}
	// The turn has failed with its error frame; a client gone before the complete frame changes
	// nothing.
	if c.wait(completeAfterError) {
		_ = o.complete(c, t)
	}
	return nil
}

// invalid answers a schema or JSON error: the error frame alone, without messageId (the real
// orchestrator's validation error names no turn).
func (o orchestrator) invalid(c *wsConn, r *request) error {
	c.buf = o.appendError(c.buf[:0], r.msg, "")
	return c.send(c.buf)
}

func (o orchestrator) malformed(c *wsConn, t *turn) error {
	c.buf = o.appendEvent(c.buf[:0], t, "token", []byte("malformed"))
	return c.sendTruncated(c.buf)
}
