package chatws

import (
	"bytes"
	"errors"
	"time"
	"unicode/utf8"
)

// featherweightCodec speaks the orchestrator protocol of /api/chat.
//
//	-> {"type":"user_message","content":P,"messageId":ID,"timestamp":"<RFC 3339>"}
//	<- {"type":"stream_event","event":{"type":"token","data":T,"messageId":ID}}
//	<- {"type":"stream_event","event":{"type":"complete","data":"","messageId":ID}}
//	<- {"type":"error","content":M,"messageId":ID?}
//
// The real orchestrator sends no start event. An upstream failure is an error frame with the
// turn's messageId, then the complete frame (with the messageId too); a schema or JSON error has
// no messageId and nothing follows it. Token/complete/error frames for another messageId are
// ignored, as are other frame types; frames without a messageId belong to the current turn.
type featherweightCodec struct{}

// JSON paths of the frames, as functions so that they are not package state: each call
// builds its path on the stack (lookup does not retain it), so decoding stays allocation-free.
func pType() path         { return path{"type"} }
func pEvent() path        { return path{"event"} }
func pData() path         { return path{"data"} }
func pMessageID() path    { return path{"messageId"} }
func pContent() path      { return path{"content"} }
func pMessage() path      { return path{"message"} }
func pUsageOutput() path  { return path{"usage", "output_tokens"} }
func pUsageCompl() path   { return path{"usage", "completion_tokens"} }
func pErrorMessage() path { return path{"error", "message"} }

func (featherweightCodec) Name() string { return ProtoFeatherweight }

func (featherweightCodec) EncodeRequest(prompt, id string, now time.Time) ([][]byte, bool, error) {
	b := make([]byte, 0, len(prompt)+len(id)+96)
	b = append(b, `{"type":"user_message","content":"`...)
	b = appendJSONString(b, prompt)
	b = append(b, `","messageId":"`...)
	b = appendJSONString(b, id)
	b = append(b, `","timestamp":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}`...)
	return [][]byte{b}, true, nil
}

// otherTurn reports whether obj carries a messageId that is not id.
func otherTurn(obj []byte, id string) (bool, error) {
	raw, found, err := lookup(obj, pMessageID())
	if err != nil || !found || id == "" {
		return false, err
	}
	return !rawEquals(raw, id), nil
}

func (featherweightCodec) Decode(frame []byte, id string) (Event, error) {
	typ, found, err := frameType(frame)
	if err != nil || !found {
		return Event{}, err
	}
	switch {
	case rawEquals(typ, "stream_event"):
		ev, found, err := lookup(frame, pEvent())
		if err != nil || !found {
			return Event{}, err
		}
		if other, err := otherTurn(ev, id); err != nil || other {
			return Event{}, err
		}
		et, _, err := lookup(ev, pType())
		if err != nil {
			return Event{}, err
		}
		switch {
		case rawEquals(et, "token"):
			text, _, err := getString(ev, pData())
			return tokenEvent(text, err)
		case rawEquals(et, "complete"):
			return doneEvent(ev), nil
		case rawEquals(et, "error"):
			msg, _, _ := getString(ev, pData())
			return Event{Kind: EventError, Message: string(msg)}, nil
		}
		return Event{}, nil
	case rawEquals(typ, "error"):
		if other, err := otherTurn(frame, id); err != nil || other {
			return Event{}, err
		}
		msg, ok, _ := getString(frame, pContent())
		if !ok {
			msg, _, _ = getString(frame, pMessage())
		}
		// An upstream failure (tagged with the turn's id) is followed by the complete frame; a
		// schema error (no messageId) is the whole reply.
		_, tagged, _ := lookup(frame, pMessageID())
		return Event{Kind: EventError, Message: string(msg), Final: !tagged}, nil
	}
	return Event{}, nil
}

// usage reads usage.output_tokens or usage.completion_tokens from obj.
func usage(obj []byte) (int, bool) {
	for _, p := range []path{pUsageOutput(), pUsageCompl()} {
		if raw, found, _ := lookup(obj, p); found {
			if n, ok := intValue(raw); ok {
				return n, true
			}
		}
	}
	return 0, false
}

var (
	errNotJSON = errors.New("frame is not a JSON object")
	errNotUTF8 = errors.New("text frame is not valid UTF-8")
)

// unifiedCodec speaks the unified chat protocol (/ws/unified-chat):
//
//	-> {"message":P}
//	<- {"type":"chunk","content":T} ... {"type":"end"}
//	<- {"type":"error","message":M}
//
// The real server sends an error alone: no end follows it, and the next message on the same
// socket streams normally. An error frame is therefore the end of the reply (Event.Final).
type unifiedCodec struct{ tpl template }

func newUnifiedCodec(p Protocol) (Codec, error) {
	req := p.Request
	if req == "" {
		req = `{"message":"{{prompt}}"}`
	}
	t, err := compileTemplate(req, false)
	return unifiedCodec{tpl: t}, err
}

func (unifiedCodec) Name() string { return ProtoFeatherweightUnified }

func (c unifiedCodec) EncodeRequest(prompt, id string, now time.Time) ([][]byte, bool, error) {
	return c.tpl.render(templateVars{prompt: prompt, messageID: id, now: now}), true, nil
}

func (unifiedCodec) Decode(frame []byte, _ string) (Event, error) {
	typ, found, err := frameType(frame)
	if err != nil || !found {
		return Event{}, err
	}
	switch {
	case rawEquals(typ, "chunk"):
		text, _, err := getString(frame, pContent())
		return tokenEvent(text, err)
	case rawEquals(typ, "end"):
		return doneEvent(frame), nil
	case rawEquals(typ, "error"):
		msg, ok, _ := getString(frame, pMessage())
		if !ok {
			msg, _, _ = getString(frame, pContent())
		}
		return Event{Kind: EventError, Message: string(msg), Final: true}, nil
	}
	return Event{}, nil
}

// textCodec sends the prompt as a text frame; reply frames are token text until the end
// sentinel (a frame equal to it, or ending with it).
// A frame starting with the error prefix fails the turn; a frame that is not valid UTF-8 is
// undecodable.
type textCodec struct{ end, errPrefix []byte }

func (textCodec) Name() string { return ProtoText }

func (textCodec) EncodeRequest(prompt, _ string, _ time.Time) ([][]byte, bool, error) {
	return [][]byte{[]byte(prompt)}, true, nil
}

func (c textCodec) Decode(frame []byte, _ string) (Event, error) {
	if !utf8.Valid(frame) {
		return Event{}, errNotUTF8
	}
	if len(c.errPrefix) > 0 && bytes.HasPrefix(frame, c.errPrefix) {
		return Event{Kind: EventError, Message: string(frame[len(c.errPrefix):])}, nil
	}
	if n := len(frame) - len(c.end); n >= 0 && string(frame[n:]) == string(c.end) {
		return Event{Kind: EventDone, Text: frame[:n]}, nil
	}
	return Event{Kind: EventToken, Text: frame}, nil
}
