package fwsim

import (
	"encoding/json"

	"github.com/gorilla/websocket"
)

// unified is the Featherweight unified chat framing (/ws/unified-chat; alias /api/chat/unified),
// frame for frame as the real unified chat server sends it (testdata/golden/unified-chat.jsonl):
//
//	client: {"message":"<prompt>"}
//	server: {"type":"chunk","content":"<text>"} ... {"type":"end"}
//	error:  {"type":"error","message":"<message>"}, alone: no end follows it
//
// After an error the next message on the same socket streams normally.
type unified struct{}

// The real unified server's error messages.
const (
	unifiedMissingMessage = "Missing message"
	unifiedInvalidJSON    = "Invalid JSON"
	unifiedSystemError    = "Chat system error: " // prefix of a failure while answering
)

func (unified) id() protocolID { return protoUnified }

func (unified) parse(_ *wsConn, mt int, data []byte) request {
	var m struct {
		Message *string `json:"message"`
	}
	if bad, ok := decodeJSONFrame(mt, data, &m); !ok {
		if mt == websocket.TextMessage { // a binary frame keeps fwsim's own message
			bad.msg = unifiedInvalidJSON
			if json.Valid(data) { // JSON, but not an object with a string message
				bad.msg = unifiedMissingMessage
			}
		}
		return bad
	}
	if m.Message == nil || *m.Message == "" {
		return request{kind: reqInvalid, msg: unifiedMissingMessage}
	}
	return request{kind: reqTurn, prompt: *m.Message}
}

func (unified) open(*wsConn) error { return nil }

func (unified) begin(*wsConn, *turn) error { return nil }

func (unified) appendChunk(b, tok []byte) []byte {
	b = append(b, `{"type":"chunk","content":`...)
	b = appendJSONString(b, tok)
	return append(b, '}')
}

func (u unified) token(c *wsConn, _ *turn, tok []byte) error {
	c.buf = u.appendChunk(c.buf[:0], tok)
	return c.send(c.buf)
}

func (unified) complete(c *wsConn, _ *turn) error {
	c.buf = append(c.buf[:0], `{"type":"end"}`...)
	return c.send(c.buf)
}

func (unified) sendError(c *wsConn, msg string) error {
	c.buf = append(c.buf[:0], `{"type":"error","message":`...)
	c.buf = appendJSONString(c.buf, msg)
	c.buf = append(c.buf, '}')
	return c.send(c.buf)
}

// fail sends the error frame alone, as the real server does: no end follows it.
func (u unified) fail(c *wsConn, _ *turn, msg string) error {
	return u.sendError(c, unifiedSystemError+msg)
}

func (u unified) invalid(c *wsConn, r *request) error { return u.sendError(c, r.msg) }

func (u unified) malformed(c *wsConn, _ *turn) error {
	c.buf = u.appendChunk(c.buf[:0], []byte("malformed"))
	return c.sendTruncated(c.buf)
}
