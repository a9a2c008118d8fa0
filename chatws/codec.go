package chatws

import (
	"fmt"
	"strings"
	"time"
)

// EventKind says what a decoded frame means for the current turn.
type EventKind uint8

// Event kinds.
const (
	EventIgnore EventKind = iota // keepalive, status, unknown or another turn's frame
	EventToken                   // carries token text (possibly empty: then it does not count)
	EventDone                    // terminal frame of the turn (may also carry token text)
	EventError                   // the server reports an error for this turn
)

// Event is one decoded frame.
type Event struct {
	Kind EventKind
	// Text is the token text. It may alias the frame buffer: valid until the next Decode.
	Text []byte
	// Usage is the server-reported output token count when HasUsage.
	Usage    int
	HasUsage bool
	// Message is the error text for EventError.
	Message string
	// Final marks an EventError that is itself the end of the reply, as the protocol defines it:
	// nothing of the turn follows (a unified chat error, a Featherweight schema error without
	// messageId, a rejected Realtime client event, a failed response.done). The turn then fails at
	// once and the connection stays usable. Any other EventError fails the turn, which then reads
	// on, for at most min(idle, 1s) per frame, to the reply's terminal frame so the connection
	// stays in step; when that frame does not come, the connection is given up (later turns fail
	// with failure.KindClosed).
	Final bool
}

// Codec encodes a prompt and decodes reply frames for one wire protocol. Codecs are stateless
// and safe for concurrent use.
type Codec interface {
	// Name is the protocol name (the "protocol" tag).
	Name() string
	// EncodeRequest returns the frames that send one prompt, and whether they are text frames.
	EncodeRequest(prompt, messageID string, now time.Time) (frames [][]byte, text bool, err error)
	// Decode interprets one received message for the turn messageID. A non-nil error means the
	// frame is undecodable (failure.KindProtocol).
	Decode(frame []byte, messageID string) (Event, error)
}

// Protocol names.
const (
	ProtoFeatherweight        = "featherweight"
	ProtoFeatherweightUnified = "featherweight-unified"
	ProtoOpenAI               = "openai"
	ProtoOpenAIRealtime       = "openai-realtime"
	ProtoText                 = "text"
	ProtoCustom               = "custom"
)

// Protocols lists the built-in protocol names.
func Protocols() []string {
	return []string{
		ProtoFeatherweight, ProtoFeatherweightUnified, ProtoOpenAI, ProtoOpenAIRealtime, ProtoText, ProtoCustom,
	}
}

// NewCodec builds the codec for p (named by p.EffectiveName).
func NewCodec(p Protocol) (Codec, error) {
	switch p.EffectiveName() {
	case ProtoFeatherweight:
		return featherweightCodec{}, nil
	case ProtoFeatherweightUnified:
		return newUnifiedCodec(p)
	case ProtoOpenAI:
		return newOpenAICodec(p)
	case ProtoOpenAIRealtime:
		return newRealtimeCodec(p)
	case ProtoText:
		end, errPrefix := orDefault(p.EndSentinel, DefaultEndSentinel), orDefault(p.ErrorPrefix, DefaultTextErrorPrefix)
		return textCodec{end: []byte(end), errPrefix: []byte(errPrefix)}, nil
	case ProtoCustom:
		return newCustomCodec(p)
	default:
		return nil, fmt.Errorf("unknown protocol %q (want one of %s)", p.Name, strings.Join(Protocols(), ", "))
	}
}

// template is a request template compiled into literal and placeholder segments.
type template struct {
	frames [][]segment
}

type segment struct {
	lit string
	ph  placeholder // phLiteral for a literal
}

// placeholder names a {{...}} variable of a request template.
type placeholder string

// Template placeholders.
const (
	phLiteral   placeholder = ""
	phPrompt    placeholder = "prompt"
	phMessageID placeholder = "messageId"
	phModel     placeholder = "model"
	phTimestamp placeholder = "timestamp"
)

// known reports whether p is one of the template placeholders.
func (p placeholder) known() bool {
	switch p {
	case phPrompt, phMessageID, phModel, phTimestamp:
		return true
	default:
		return false
	}
}

func compileTemplate(s string, multiFrame bool) (template, error) {
	var parts []string
	if multiFrame {
		parts = splitFrames(s)
	} else {
		parts = []string{s}
	}
	var t template
	for _, part := range parts {
		var segs []segment
		for part != "" {
			i := strings.Index(part, "{{")
			if i < 0 {
				segs = append(segs, segment{lit: part})
				break
			}
			j := strings.Index(part[i:], "}}")
			if j < 0 {
				return t, fmt.Errorf("unterminated placeholder in request template")
			}
			name := placeholder(strings.TrimSpace(part[i+2 : i+j]))
			if !name.known() {
				return t, fmt.Errorf(
					"unknown placeholder {{%s}} in request template (want prompt, messageId, model or timestamp)", name)
			}
			if i > 0 {
				segs = append(segs, segment{lit: part[:i]})
			}
			segs = append(segs, segment{ph: name})
			part = part[i+j+2:]
		}
		t.frames = append(t.frames, segs)
	}
	return t, nil
}

func splitFrames(s string) []string {
	var out []string
	cur := []string{}
	for line := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(line) == "---" {
			out = append(out, strings.Join(cur, "\n"))
			cur = cur[:0]
			continue
		}
		cur = append(cur, line)
	}
	out = append(out, strings.Join(cur, "\n"))
	return out
}

type templateVars struct {
	prompt, messageID, model string
	now                      time.Time
}

// render fills the template; each value is JSON-string escaped (placeholders sit inside strings).
func (t template) render(v templateVars) [][]byte {
	out := make([][]byte, 0, len(t.frames))
	for _, segs := range t.frames {
		var b []byte
		for _, s := range segs {
			var val string
			switch s.ph {
			case phLiteral:
				b = append(b, s.lit...)
				continue
			case phPrompt:
				val = v.prompt
			case phMessageID:
				val = v.messageID
			case phModel:
				val = v.model
			case phTimestamp:
				val = v.now.UTC().Format(time.RFC3339Nano)
			}
			b = appendJSONString(b, val)
		}
		out = append(out, b)
	}
	return out
}

// tokenEvent keeps the invariant that a decode error comes with an ignore event.
func tokenEvent(text []byte, err error) (Event, error) {
	if err != nil {
		return Event{}, err
	}
	return Event{Kind: EventToken, Text: text}, nil
}

// frameType returns the "type" member of a JSON object frame (found is false without it); a frame
// that is not a JSON object is errNotJSON.
func frameType(frame []byte) (typ []byte, found bool, err error) {
	if !startsObject(frame) {
		return nil, false, errNotJSON
	}
	return lookup(frame, pType())
}

// doneEvent ends the turn with the usage that obj reports, if any.
func doneEvent(obj []byte) Event {
	ev := Event{Kind: EventDone}
	if n, ok := usage(obj); ok {
		ev.Usage, ev.HasUsage = n, true
	}
	return ev
}
