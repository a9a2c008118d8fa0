package chatws

import (
	"bytes"
	"fmt"
	"time"
)

// openAICodec speaks OpenAI-style chat-completion chunks over WebSocket (one chunk per frame; a
// leading SSE "data:" is tolerated). The role-only first chunk and the usage-only last chunk
// (choices: []) carry no token text; [DONE] ends the turn, or the first chunk with finish_reason
// set when DoneOn is "finish_reason" (then the trailing usage-only chunk and [DONE] belong to the
// ended turn and are ignored, so tokens count frames); {"error":{...}} fails it.
type openAICodec struct {
	tpl          template
	model        string
	finishIsDone bool
}

const defaultOpenAIRequest = `{"model":"{{model}}","messages":[{"role":"user","content":"{{prompt}}"}],` +
	`"stream":true,"stream_options":{"include_usage":true}}`

// JSON paths of the frames, as functions so that they are not package state: each call
// builds its path on the stack (lookup does not retain it), so decoding stays allocation-free.
func pChoice0() path      { return path{"choices", "0"} }
func pDeltaContent() path { return path{"delta", "content"} }
func pFinish() path       { return path{"finish_reason"} }
func pError() path        { return path{"error"} }
func pUsage() path        { return path{"usage"} }
func pCompletion() path   { return path{"completion_tokens"} }
func pOutput() path       { return path{"output_tokens"} }
func pText() path         { return path{"text"} }
func pDelta() path        { return path{"delta"} }
func pResponse() path     { return path{"response"} }
func pStatus() path       { return path{"status"} }

func newOpenAICodec(p Protocol) (Codec, error) {
	c := openAICodec{model: p.Model}
	if c.model == "" {
		c.model = DefaultOpenAIModel
	}
	switch p.DoneOn {
	case "", DoneOnDone:
	case DoneOnFinishReason:
		c.finishIsDone = true
	default:
		return nil, fmt.Errorf("doneOn must be '%s' or '%s', got %q", DoneOnDone, DoneOnFinishReason, p.DoneOn)
	}
	req := p.Request
	if req == "" {
		req = defaultOpenAIRequest
	}
	t, err := compileTemplate(req, false)
	c.tpl = t
	return c, err
}

func (openAICodec) Name() string { return ProtoOpenAI }

func (c openAICodec) EncodeRequest(prompt, id string, now time.Time) ([][]byte, bool, error) {
	return c.tpl.render(templateVars{prompt: prompt, messageID: id, model: c.model, now: now}), true, nil
}

// The SSE data prefix a frame may carry, and the end-of-stream marker.
const (
	dataPrefix = "data:"
	doneMarker = "[DONE]"
)

func (c openAICodec) Decode(frame []byte, _ string) (Event, error) {
	frame = bytes.TrimSpace(frame)
	if bytes.HasPrefix(frame, []byte(dataPrefix)) {
		frame = bytes.TrimSpace(frame[len(dataPrefix):])
	}
	if string(frame) == doneMarker {
		if c.finishIsDone { // the turn already ended at finish_reason: this is its trailer
			return Event{}, nil
		}
		return Event{Kind: EventDone}, nil
	}
	if len(frame) == 0 {
		return Event{}, nil // keepalive
	}
	if frame[0] != '{' {
		return Event{}, errNotJSON
	}
	if raw, found, err := lookup(frame, pError()); err != nil {
		return Event{}, err
	} else if found && raw[0] != 'n' { // present and not null
		msg, ok, _ := getString(raw, pMessage())
		if !ok {
			msg, _ = stringValue(raw)
		}
		// The [DONE] that follows ends the reply; with doneOn finish_reason this codec ignores
		// [DONE] (as a trailer), so the error is the end.
		return Event{Kind: EventError, Message: string(msg), Final: c.finishIsDone}, nil
	}
	var ev Event
	if u, found, err := lookup(frame, pUsage()); err != nil {
		return Event{}, err
	} else if found && u[0] == '{' {
		if raw, found, _ := lookup(u, pCompletion()); found {
			ev.Usage, ev.HasUsage = intValue(raw)
		}
	}
	choice, found, err := lookup(frame, pChoice0())
	if err != nil {
		return Event{}, err
	}
	if !found || choice[0] != '{' {
		if c.finishIsDone { // a usage-only chunk after finish_reason belongs to the ended turn
			return Event{}, nil
		}
		return ev, nil // usage-only or unrelated frame
	}
	text, ok, err := getString(choice, pDeltaContent())
	if err != nil {
		return Event{}, err
	}
	if !ok { // legacy completions chunk
		text, _, _ = getString(choice, pText())
	}
	ev.Kind, ev.Text = EventToken, text
	if c.finishIsDone {
		if fr, found, _ := lookup(choice, pFinish()); found && fr[0] == '"' {
			ev.Kind = EventDone
		}
	}
	return ev, nil
}

// realtimeCodec speaks OpenAI Realtime-style events:
//
//	-> {"type":"conversation.item.create",...} then {"type":"response.create"}
//	<- {"type":"response.output_text.delta"|"response.text.delta","delta":T}
//	<- {"type":"response.done","response":{"status":"completed","usage":{"output_tokens":N}}}
//	<- {"type":"error","error":{"message":M}}
type realtimeCodec struct {
	tpl   template
	model string
}

const defaultRealtimeRequest = `{"type":"conversation.item.create","item":{"type":"message","role":"user",` +
	`"content":[{"type":"input_text","text":"{{prompt}}"}]}}
---
{"type":"response.create","response":{"modalities":["text"]}}`

func newRealtimeCodec(p Protocol) (Codec, error) {
	req := p.Request
	if req == "" {
		req = defaultRealtimeRequest
	}
	t, err := compileTemplate(req, true)
	m := p.Model
	if m == "" {
		m = DefaultOpenAIModel
	}
	return realtimeCodec{tpl: t, model: m}, err
}

func (realtimeCodec) Name() string { return ProtoOpenAIRealtime }

func (c realtimeCodec) EncodeRequest(prompt, id string, now time.Time) ([][]byte, bool, error) {
	return c.tpl.render(templateVars{prompt: prompt, messageID: id, model: c.model, now: now}), true, nil
}

func (realtimeCodec) Decode(frame []byte, _ string) (Event, error) {
	typ, found, err := frameType(frame)
	if err != nil || !found {
		return Event{}, err
	}
	switch {
	case rawEquals(typ, "response.output_text.delta"), rawEquals(typ, "response.text.delta"):
		text, _, err := getString(frame, pDelta())
		return tokenEvent(text, err)
	case rawEquals(typ, "response.done"):
		resp, found, err := lookup(frame, pResponse())
		if err != nil {
			return Event{}, err
		}
		ev := Event{Kind: EventDone}
		if !found {
			return ev, nil
		}
		if u, found, _ := lookup(resp, pUsage()); found {
			if raw, found, _ := lookup(u, pOutput()); found {
				ev.Usage, ev.HasUsage = intValue(raw)
			}
		}
		if st, ok, _ := getString(resp, pStatus()); ok && len(st) > 0 && string(st) != "completed" {
			msg := "response " + string(st)
			if m, ok, _ := getString(resp, path{"status_details", "error", "message"}); ok {
				msg += ": " + string(m)
			}
			return Event{Kind: EventError, Message: msg, Final: true}, nil
		}
		return ev, nil
	case rawEquals(typ, "error"):
		msg, _, _ := getString(frame, pErrorMessage())
		// A response-level error is followed by response.done "failed"; a rejected client event
		// (invalid_request_error) is not.
		et, _, _ := getString(frame, pErrorType())
		return Event{Kind: EventError, Message: string(msg), Final: string(et) == "invalid_request_error"}, nil
	}
	return Event{}, nil
}

func pErrorType() path { return path{"error", "type"} }
