package featherweight

import (
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/chatws"
)

// errorObject is a turn error to JS: {kind, message}, or null.
func errorObject(e *chatws.Error) any {
	if e == nil {
		return nil
	}
	msg := e.Msg
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return map[string]any{"kind": string(e.Kind), "message": msg}
}

// resultObject is the JS result; times in ms, null when not applicable.
func resultObject(res *chatws.Result) map[string]any {
	out := map[string]any{
		"ok":           res.OK,
		"error":        errorObject(res.Err),
		"tokens":       res.Tokens,
		"tokensSource": string(res.TokensSource),
		"chunks":       res.Chunks,
		"ttft":         nil,
		"duration":     nil,
		"tpot":         nil,
		"itl":          itlObject(res.ITL),
		"closeCode":    res.CloseCode,
		"messageId":    res.MessageID,
		"text":         res.Text,
	}
	if res.HasTTFT {
		out["ttft"] = metrics.D(res.TTFT)
	}
	if res.OK {
		out["duration"] = metrics.D(res.Duration)
	}
	if res.HasTPOT {
		out["tpot"] = metrics.D(res.TPOT)
	}
	return out
}
