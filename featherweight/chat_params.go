package featherweight

import (
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
}

var (
	connectKeys = []string{"headers", "subprotocols", "protocol", "timeouts", "maxFrameBytes", "tags", "slo", "keepText"}
	sendKeys    = []string{"timeouts", "tags", "slo", "keepText"}
)

// parseChatParams parses params; connectLevel selects which keys are allowed.
func parseChatParams(rt *sobek.Runtime, v sobek.Value, connectLevel bool) (*chatParams, error) {
	p := &chatParams{}
	obj, err := optObject(rt, v, "params")
	if err != nil || obj == nil {
		return p, err
	}
	allowed := sendKeys
	if connectLevel {
		allowed = connectKeys
	}
	for _, k := range obj.Keys() {
		val := obj.Get(k)
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if !known {
			if !connectLevel && contains(connectKeys, k) {
				return nil, fmt.Errorf("option %s can only be set in connect(), not in send()", k)
			}
			return nil, unknownOption("", k, allowed...)
		}
		if err := p.set(rt, k, val); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func (p *chatParams) set(rt *sobek.Runtime, k string, val sobek.Value) error {
	var err error
	switch k {
	case "headers":
		var m map[string]string
		if m, err = optStringMap(rt, val, "headers"); err == nil {
			p.headers = make(http.Header, len(m))
			for hk, hv := range m {
				p.headers.Set(hk, hv)
			}
		}
	case "subprotocols":
		p.subprotocols, err = optStrings(val, "subprotocols")
	case "protocol":
		p.protocol, err = parseProtocol(rt, val)
	case "timeouts":
		p.timeouts, err = parseTimeouts(rt, val)
	case "maxFrameBytes":
		p.maxFrame, err = optInt(val, "maxFrameBytes")
		if err == nil && p.maxFrame == 0 {
			err = fmt.Errorf("maxFrameBytes must be positive")
		}
	case "tags":
		if _, err = optObject(rt, val, "tags"); err == nil {
			p.tags = val
		}
	case "slo":
		err = p.parseSLO(rt, val)
	case "keepText":
		switch x := val.Export().(type) {
		case bool:
			p.keepText = -1
			if x {
				p.keepText = keepTextDefault
			}
		default:
			var n int64
			if n, err = optInt(val, "keepText"); err == nil {
				p.keepText = int(min(n, keepTextMax))
				if n == 0 {
					p.keepText = -1
				}
			}
		}
	}
	return err
}

func parseTimeouts(rt *sobek.Runtime, v sobek.Value) (chatws.Timeouts, error) {
	var t chatws.Timeouts
	obj, err := optObject(rt, v, "timeouts")
	if err != nil || obj == nil {
		return t, err
	}
	for _, k := range obj.Keys() {
		var dst *time.Duration
		switch k {
		case "connect":
			dst = &t.Connect
		case "firstToken":
			dst = &t.FirstToken
		case "idle":
			dst = &t.Idle
		case "total":
			dst = &t.Total
		default:
			return t, unknownOption("timeouts.", k, "connect", "firstToken", "idle", "total")
		}
		if *dst, err = optDuration(obj.Get(k), "timeouts."+k); err != nil {
			return t, err
		}
	}
	return t, nil
}

func (p *chatParams) parseSLO(rt *sobek.Runtime, v sobek.Value) error {
	obj, err := optObject(rt, v, "slo")
	if err != nil || obj == nil {
		return err
	}
	for _, k := range obj.Keys() {
		switch k {
		case "ttft":
			p.sloTTFT, err = optDuration(obj.Get(k), "slo.ttft")
		case "tpot":
			p.sloTPOT, err = optDuration(obj.Get(k), "slo.tpot")
		default:
			return unknownOption("slo.", k, "ttft", "tpot")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var protocolKeys = []string{
	"name", "request", "model", "doneOn", "endSentinel", "errorPrefix", "promptField", "typeField",
	"tokenTypes", "doneTypes", "errorTypes", "textField", "errorField", "usageField",
}

// parseProtocol accepts a protocol name or an object {name?, ...options}; an object with
// tokenTypes and no name is a custom mapping. The result is validated by building its codec.
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
		for _, k := range obj.Keys() {
			val := obj.Get(k)
			name := "protocol." + k
			switch k {
			case "name":
				p.Name, err = optString(val, name)
			case "request":
				p.Request, err = optTemplate(val, name)
			case "model":
				p.Model, err = optString(val, name)
			case "doneOn":
				p.DoneOn, err = optString(val, name)
			case "endSentinel":
				p.EndSentinel, err = optString(val, name)
			case "errorPrefix":
				p.ErrorPrefix, err = optString(val, name)
			case "promptField":
				p.PromptField, err = optString(val, name)
			case "typeField":
				p.TypeField, err = optString(val, name)
			case "tokenTypes":
				p.TokenTypes, err = optStrings(val, name)
			case "doneTypes":
				p.DoneTypes, err = optStrings(val, name)
			case "errorTypes":
				p.ErrorTypes, err = optStrings(val, name)
			case "textField":
				p.TextField, err = optString(val, name)
			case "errorField":
				p.ErrorField, err = optString(val, name)
			case "usageField":
				p.UsageField, err = optString(val, name)
			default:
				return p, unknownOption("protocol.", k, protocolKeys...)
			}
			if err != nil {
				return p, err
			}
		}
		if p.Name == "" && (len(p.TokenTypes) > 0 || len(p.DoneTypes) > 0 || len(p.ErrorTypes) > 0 ||
			p.TypeField != "" || p.TextField != "" || p.ErrorField != "" || p.PromptField != "" || p.UsageField != "") {
			p.Name = chatws.ProtoCustom
		}
	}
	if _, err := chatws.NewCodec(p); err != nil {
		return p, fmt.Errorf("protocol: %w", err)
	}
	return p, nil
}
