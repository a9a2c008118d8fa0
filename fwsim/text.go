package fwsim

import (
	"github.com/gorilla/websocket"
)

// textProto is the plain-text framing (/ws/text): the prompt is one text frame, the reply is one
// text frame per token, then a frame holding exactly Config.EndSentinel.
// Errors are a text frame "[ERROR] <message>" (no sentinel follows); a malformed frame is a
// binary frame holding invalid UTF-8.
type textProto struct{}

// TextErrorPrefix starts every error frame on /ws/text.
const TextErrorPrefix = "[ERROR] "

func (textProto) id() protocolID { return protoText }

func (textProto) parse(_ *wsConn, mt int, data []byte) request {
	if mt != websocket.TextMessage {
		return request{kind: reqInvalid, msg: "binary frames are not accepted: send the prompt as a text frame"}
	}
	return request{kind: reqTurn, prompt: string(data)}
}

func (textProto) open(*wsConn) error { return nil }

func (textProto) begin(*wsConn, *turn) error { return nil }

func (textProto) token(c *wsConn, _ *turn, tok []byte) error { return c.send(tok) }

func (textProto) complete(c *wsConn, _ *turn) error {
	c.buf = append(c.buf[:0], c.s.cfg.EndSentinel...)
	return c.send(c.buf)
}

func (textProto) sendError(c *wsConn, msg string) error {
	c.buf = append(append(c.buf[:0], TextErrorPrefix...), msg...)
	return c.send(c.buf)
}

// fail sends an error line and then the end sentinel.
func (p textProto) fail(c *wsConn, t *turn, msg string) error {
	if err := p.sendError(c, msg); err != nil {
		return err
	}
	// The turn has failed with its error frame; a client that stops reading after it (openai with
	// doneOn finish_reason) may be gone before the terminal frame, which changes nothing.
	_ = p.complete(c, t)
	return nil
}

func (p textProto) invalid(c *wsConn, r *request) error { return p.sendError(c, r.msg) }

func (textProto) malformed(c *wsConn, _ *turn) error {
	return c.sendType(websocket.BinaryMessage, []byte{0xff, 0xfe, 0xfd})
}
