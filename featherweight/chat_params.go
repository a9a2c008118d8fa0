package featherweight

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/grafana/sobek"

	"github.com/featherweight/xk6-featherweight/chatws"
)

const (
	keepTextDefault = 64 << 10 // keepText: true
	keepTextMax     = 1 << 20  // keepText is bounded
)

// chatParams are the parsed params of chat/chatAsync/connect (connect-level) and send (turn-level).
type chatParams struct {
	headers      http.Header
	subprotocols []string
	protocol     chatws.Protocol
	timeouts     chatws.Timeouts
	maxFrame     int64
	keepText     int // 0 = inherit/none, -1 = explicitly none
	tags         sobek.Value
	sloTTFT      time.Duration
	sloTPOT      time.Duration
	itlSummary   bool // itl: 'summary' (per-turn ITL samples) instead of 'gaps'
	sketch       bool // trends: 'sketch' (run-wide sketches in the extension) instead of 'samples'
}

// connectParams returns the table of the params object of chat(), chatAsync() and connect().
func connectParams() *optionTable[chatParams] {
	return &optionTable[chatParams]{skipNullish: true, options: []option[chatParams]{
		{"headers", parseHeaders},
		{"subprotocols", stringsOpt(func(p *chatParams) *[]string { return &p.subprotocols })},
		{"protocol", func(rt *sobek.Runtime, p *chatParams, v sobek.Value, _ string) (err error) {
			p.protocol, err = parseProtocol(rt, v)
			return err
		}},
		{"timeouts", func(rt *sobek.Runtime, p *chatParams, v sobek.Value, name string) error {
			return parseNested(rt, v, name, timeoutOptions(), &p.timeouts)
		}},
		{"maxFrameBytes", parseMaxFrameBytes},
		{"tags", parseTags},
		{"slo", func(rt *sobek.Runtime, p *chatParams, v sobek.Value, name string) error {
			return parseNested(rt, v, name, sloOptions(), p)
		}},
		{"keepText", parseKeepText},
		{"itl", parseITLMode},
		{"trends", parseTrendsMode},
	}}
}

// sendParams returns the table of the params object of session.send() and sendAsync(): the
// per-turn subset.
func sendParams() *optionTable[chatParams] {
	t := connectParams().only("timeouts", "tags", "slo", "keepText")
	return &t
}

// timeoutOptions returns the table of the timeouts object.
func timeoutOptions() *optionTable[chatws.Timeouts] {
	return &optionTable[chatws.Timeouts]{prefix: "timeouts.", skipNullish: true, options: []option[chatws.Timeouts]{
		{"connect", durationOpt(func(t *chatws.Timeouts) *time.Duration { return &t.Connect })},
		{"firstToken", durationOpt(func(t *chatws.Timeouts) *time.Duration { return &t.FirstToken })},
		{"idle", durationOpt(func(t *chatws.Timeouts) *time.Duration { return &t.Idle })},
		{"total", durationOpt(func(t *chatws.Timeouts) *time.Duration { return &t.Total })},
	}}
}

// sloOptions returns the table of the slo object; its values land in the params.
func sloOptions() *optionTable[chatParams] {
	return &optionTable[chatParams]{prefix: "slo.", skipNullish: true, options: []option[chatParams]{
		{"ttft", durationOpt(func(p *chatParams) *time.Duration { return &p.sloTTFT })},
		{"tpot", durationOpt(func(p *chatParams) *time.Duration { return &p.sloTPOT })},
	}}
}

// protocolOptions returns the table of the protocol object (the protocol may also be given as a name).
func protocolOptions() *optionTable[chatws.Protocol] {
	return &optionTable[chatws.Protocol]{prefix: "protocol.", skipNullish: true, options: []option[chatws.Protocol]{
		{"name", stringOpt(func(p *chatws.Protocol) *string { return &p.Name })},
		{"request", func(_ *sobek.Runtime, p *chatws.Protocol, v sobek.Value, name string) (err error) {
			p.Request, err = optTemplate(v, name)
			return err
		}},
		{"model", stringOpt(func(p *chatws.Protocol) *string { return &p.Model })},
		{"doneOn", stringOpt(func(p *chatws.Protocol) *string { return &p.DoneOn })},
		{"endSentinel", stringOpt(func(p *chatws.Protocol) *string { return &p.EndSentinel })},
		{"errorPrefix", stringOpt(func(p *chatws.Protocol) *string { return &p.ErrorPrefix })},
		{"promptField", stringOpt(func(p *chatws.Protocol) *string { return &p.PromptField })},
		{"typeField", stringOpt(func(p *chatws.Protocol) *string { return &p.TypeField })},
		{"tokenTypes", stringsOpt(func(p *chatws.Protocol) *[]string { return &p.TokenTypes })},
		{"doneTypes", stringsOpt(func(p *chatws.Protocol) *[]string { return &p.DoneTypes })},
		{"errorTypes", stringsOpt(func(p *chatws.Protocol) *[]string { return &p.ErrorTypes })},
		{"textField", stringOpt(func(p *chatws.Protocol) *string { return &p.TextField })},
		{"errorField", stringOpt(func(p *chatws.Protocol) *string { return &p.ErrorField })},
		{"usageField", stringOpt(func(p *chatws.Protocol) *string { return &p.UsageField })},
	}}
}

// parseChatParams parses params; connectLevel selects the connect-level or the send-level table.
func parseChatParams(rt *sobek.Runtime, v sobek.Value, connectLevel bool) (*chatParams, error) {
	p := &chatParams{}
	obj, err := optObject(rt, v, "params")
	if err != nil || obj == nil {
		return p, err
	}
	table, unknown := connectParams(), func(string) error { return nil }
	if !connectLevel {
		table, unknown = sendParams(), func(k string) error {
			if connectParams().lookup(k) != nil {
				return fmt.Errorf("option %s can only be set in connect(), not in send()", k)
			}
			return nil
		}
	}
	if err := table.parse(rt, obj, p, unknown); err != nil {
		return nil, err
	}
	return p, nil
}

// parseNested parses an optional nested object (nil or undefined: nothing set) with table t.
func parseNested[T any](rt *sobek.Runtime, v sobek.Value, name string, t *optionTable[T], dst *T) error {
	obj, err := optObject(rt, v, name)
	if err != nil || obj == nil {
		return err
	}
	return t.parse(rt, obj, dst, nil)
}

func parseHeaders(rt *sobek.Runtime, p *chatParams, v sobek.Value, name string) error {
	m, err := optStringMap(rt, v, name)
	if err != nil {
		return err
	}
	p.headers = make(http.Header, len(m))
	for k, hv := range m {
		p.headers.Set(k, hv)
	}
	return nil
}

func parseMaxFrameBytes(_ *sobek.Runtime, p *chatParams, v sobek.Value, name string) (err error) {
	if p.maxFrame, err = optInt(v, name); err == nil && p.maxFrame == 0 {
		err = errors.New("maxFrameBytes must be positive")
	}
	return err
}

func parseTags(rt *sobek.Runtime, p *chatParams, v sobek.Value, name string) error {
	if _, err := optObject(rt, v, name); err != nil {
		return err
	}
	p.tags = v
	return nil
}

// parseKeepText accepts true (keepTextDefault), false or 0 (none) or a byte count (capped).
func parseKeepText(_ *sobek.Runtime, p *chatParams, v sobek.Value, name string) error {
	if b, ok := v.Export().(bool); ok {
		p.keepText = -1
		if b {
			p.keepText = keepTextDefault
		}
		return nil
	}
	n, err := optInt(v, name)
	if err != nil {
		return err
	}
	p.keepText = int(min(n, keepTextMax))
	if n == 0 {
		p.keepText = -1
	}
	return nil
}

// parseProtocol accepts a protocol name or an object {name?, ...options}; an object with a
// custom mapping and no name is "custom" (chatws.Protocol.InferName). The result is validated by
// building its codec.
func parseProtocol(rt *sobek.Runtime, v sobek.Value) (chatws.Protocol, error) {
	var p chatws.Protocol
	if s, ok := v.Export().(string); ok {
		p.Name = s
	} else {
		obj, err := optObject(rt, v, "protocol")
		if err != nil {
			return p, fmt.Errorf("protocol must be a name or an object, got %s", typeOf(v))
		}
		if obj == nil {
			return p, nil
		}
		if err := protocolOptions().parse(rt, obj, &p, nil); err != nil {
			return p, err
		}
		p = p.InferName()
	}
	if _, err := chatws.NewCodec(p); err != nil {
		return p, fmt.Errorf("protocol: %w", err)
	}
	return p, nil
}
