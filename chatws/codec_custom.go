package chatws

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// customCodec maps an arbitrary JSON event protocol: the event type lives at TypeField, values
// in TokenTypes/DoneTypes/ErrorTypes classify the frame, the token text is at TextField and the
// error text at ErrorField. Unrecognised frames (and non-JSON frames) are ignored.
type customCodec struct {
	tpl                          template
	raw                          bool // send the prompt as a raw text frame
	typeF, textF, errorF, usageF path
	token, done, errs            []string
}

func newCustomCodec(p Protocol) (Codec, error) {
	c := customCodec{
		typeF:  splitPath(orDefault(p.TypeField, DefaultTypeField)),
		textF:  splitPath(orDefault(p.TextField, DefaultTextField)),
		errorF: splitPath(orDefault(p.ErrorField, DefaultErrorField)),
		usageF: splitPath(p.UsageField),
		token:  p.TokenTypes,
		done:   p.DoneTypes,
		errs:   p.ErrorTypes,
	}
	if len(c.token) == 0 || len(c.done) == 0 {
		return nil, errors.New("custom protocol needs tokenTypes and doneTypes")
	}
	var err error
	switch {
	case p.Request != "":
		c.tpl, err = compileTemplate(p.Request, false)
	case p.PromptField != "":
		c.tpl, err = compileTemplate(nestedTemplate(splitPath(p.PromptField)), false)
	default:
		c.raw = true
	}
	return c, err
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// nestedTemplate builds {"a":{"b":"{{prompt}}"}} for the path a.b.
func nestedTemplate(p path) string {
	var b strings.Builder
	for _, k := range p {
		b.WriteString(`{"`)
		b.Write(appendJSONString(nil, k))
		b.WriteString(`":`)
	}
	b.WriteString(`"{{prompt}}"`)
	b.WriteString(strings.Repeat("}", len(p)))
	return b.String()
}

func (customCodec) Name() string { return ProtoCustom }

func (c customCodec) EncodeRequest(prompt, id string, now time.Time) ([][]byte, bool, error) {
	if c.raw {
		return [][]byte{[]byte(prompt)}, true, nil
	}
	return c.tpl.render(templateVars{prompt: prompt, messageID: id, now: now}), true, nil
}

// matchAny reports whether the raw JSON string equals one of vals.
func matchAny(raw []byte, vals []string) bool {
	return slices.ContainsFunc(vals, func(v string) bool { return rawEquals(raw, v) })
}

func (c customCodec) Decode(frame []byte, _ string) (Event, error) {
	if !startsObject(frame) {
		return Event{}, nil
	}
	typ, found, err := lookup(frame, c.typeF)
	if err != nil || !found {
		return Event{}, nil //nolint:nilerr // unrecognised frames are ignored by contract
	}
	switch {
	case matchAny(typ, c.token):
		text, _, _ := getString(frame, c.textF)
		return Event{Kind: EventToken, Text: text}, nil
	case matchAny(typ, c.done):
		ev := Event{Kind: EventDone}
		if c.usageF != nil {
			if raw, found, _ := lookup(frame, c.usageF); found {
				ev.Usage, ev.HasUsage = intValue(raw)
			}
		}
		return ev, nil
	case matchAny(typ, c.errs):
		msg, _, _ := getString(frame, c.errorF)
		return Event{Kind: EventError, Message: string(msg)}, nil
	}
	return Event{}, nil
}
