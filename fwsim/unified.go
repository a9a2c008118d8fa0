package fwsim

// unified is the Featherweight unified chat framing (/ws/unified-chat; alias /api/chat/unified):
//
//	client: {"message":"<prompt>"}
//	server: {"type":"chunk","content":"<text>"} ... {"type":"end"}
//	error:  {"type":"error","message":"<message>"}
type unified struct{}

func (unified) id() protocolID { return protoUnified }

func (unified) parse(_ *wsConn, mt int, data []byte) request {
	var m struct {
		Message *string `json:"message"`
	}
	if bad, ok := decodeJSONFrame(mt, data, &m); !ok {
		return bad
	}
	if m.Message == nil || *m.Message == "" {
		return request{kind: reqInvalid, msg: `missing "message"`}
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

// fail sends an error frame and then the reply's end frame.
func (u unified) fail(c *wsConn, t *turn, msg string) error {
	if err := u.sendError(c, msg); err != nil {
		return err
	}
	// The turn has failed with its error frame; a client that stops reading after it (openai with
	// doneOn finish_reason) may be gone before the terminal frame, which changes nothing.
	_ = u.complete(c, t)
	return nil
}

func (u unified) invalid(c *wsConn, r *request) error { return u.sendError(c, r.msg) }

func (u unified) malformed(c *wsConn, _ *turn) error {
	c.buf = u.appendChunk(c.buf[:0], []byte("malformed"))
	return c.sendTruncated(c.buf)
}
