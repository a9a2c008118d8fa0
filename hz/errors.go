package hz

import (
	"errors"
	"fmt"
)

// Reason classifies a failed scrape. Reasons are stable strings: the k6 binding exposes them as
// the error's kind ({kind, message}, as the chat errors) and as the value of the "error_kind" tag
// on fw_hz_scrape_failed.
type Reason string

// Failure reasons.
const (
	ReasonHTTPStatus    Reason = "http_status"    // a non-2xx response (for healthz: other than 2xx and 503)
	ReasonTimeout       Reason = "timeout"        // Config.Timeout elapsed (connect, headers or body)
	ReasonConnect       Reason = "connect"        // the request failed before a response: dial, DNS, TLS, blocked host
	ReasonRead          Reason = "read"           // the connection failed while reading the body
	ReasonBodyTooLarge  Reason = "body_too_large" // the body exceeded Config.MaxBodyBytes
	ReasonParse         Reason = "parse"          // not valid Prometheus text format; a query answer that is not a vector
	ReasonMissingMetric Reason = "missing_metric" // no such family, no series matching the labels, an empty query result
	ReasonAmbiguous     Reason = "ambiguous"      // several series match and Config.Aggregate is empty
	ReasonTypeMismatch  Reason = "type_mismatch"  // the family's type can't be read in the configured mode
	ReasonNaN           Reason = "nan"            // a selected value (or the computed Hz) is NaN or ±Inf
	ReasonHealthzParse  Reason = "healthz_parse"  // the healthz body is not JSON with a numeric "hz"
	ReasonCanceled      Reason = "canceled"       // the caller's context ended (k6: the VU is stopping)
	ReasonInvalidURL    Reason = "invalid_url"    // the request could not be built
)

// Reasons lists every Reason, for documentation and tests.
var Reasons = []Reason{ //nolint:gochecknoglobals // a read-only list for documentation and tests
	ReasonHTTPStatus, ReasonTimeout, ReasonConnect, ReasonRead, ReasonBodyTooLarge, ReasonParse,
	ReasonMissingMetric, ReasonAmbiguous, ReasonTypeMismatch, ReasonNaN, ReasonHealthzParse,
	ReasonCanceled, ReasonInvalidURL,
}

// ScrapeError is the error of a failed Reading.
type ScrapeError struct {
	Reason Reason
	Err    error
	// Status is the HTTP status of an http_status failure (0 otherwise).
	Status int
	// Healthz is the failure of the /healthz fallback, when one was attempted and failed too.
	Healthz *ScrapeError
}

func (e *ScrapeError) Error() string {
	msg := string(e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Healthz != nil {
		msg = "metrics: " + msg + "; healthz fallback: " + e.Healthz.Error()
	}
	return msg
}

func (e *ScrapeError) Unwrap() error { return e.Err }

// Is reports whether target is a *ScrapeError with the same Reason (a zero Reason matches any), so
// errors.Is(err, &hz.ScrapeError{Reason: hz.ReasonNaN}) works.
func (e *ScrapeError) Is(target error) bool {
	var t *ScrapeError
	if !errors.As(target, &t) || t == nil {
		return false
	}
	return t.Reason == "" || t.Reason == e.Reason
}

func scrapeErr(r Reason, format string, args ...any) *ScrapeError {
	return &ScrapeError{Reason: r, Err: fmt.Errorf(format, args...)}
}

// ReasonOf returns the Reason of err when it is (or wraps) a *ScrapeError, and "" otherwise.
func ReasonOf(err error) Reason {
	if se, ok := errors.AsType[*ScrapeError](err); ok {
		return se.Reason
	}
	return ""
}

// Fallback says why a Reading came from the healthz endpoint although a /metrics URL is set.
type Fallback struct {
	// Err is the /metrics failure.
	Err *ScrapeError
	// Note is short and stable, fit for a log line or a check name: "/metrics answered 404",
	// "/metrics timed out", "/metrics: missing_metric" (the path is the configured URL's).
	Note string
}

// fallbackNote is Fallback.Note for a failure of the endpoint at path.
func fallbackNote(path string, e *ScrapeError) string {
	switch {
	case e.Reason == ReasonHTTPStatus && e.Status != 0:
		return fmt.Sprintf("%s answered %d", path, e.Status)
	case e.Reason == ReasonTimeout:
		return path + " timed out"
	case e.Reason == ReasonConnect:
		return path + " unreachable (connect)"
	}
	return path + ": " + string(e.Reason)
}
