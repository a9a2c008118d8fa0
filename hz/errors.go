package hz

import (
	"errors"
	"fmt"

	"github.com/featherweight/xk6-featherweight/failure"
)

// ScrapeError is the error of a failed Reading. Its Kind is one of failure.HzKinds: the k6 binding
// exposes it as the error's kind ({kind, message}, as the chat errors) and as the value of the
// "error_kind" tag on fw_hz_scrape_failed.
type ScrapeError struct {
	Kind failure.Kind
	Err  error
	// Status is the HTTP status of an http_status failure (0 otherwise).
	Status int
	// Healthz is the failure of the /healthz fallback, when one was attempted and failed too.
	Healthz *ScrapeError
}

func (e *ScrapeError) Error() string {
	msg := string(e.Kind)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Healthz != nil {
		msg = "metrics: " + msg + "; healthz fallback: " + e.Healthz.Error()
	}
	return msg
}

func (e *ScrapeError) Unwrap() error { return e.Err }

// Is reports whether target is a *ScrapeError with the same Kind (a zero Kind matches any), so
// errors.Is(err, &hz.ScrapeError{Kind: failure.KindNaN}) works.
func (e *ScrapeError) Is(target error) bool {
	var t *ScrapeError
	if !errors.As(target, &t) || t == nil {
		return false
	}
	return t.Kind == "" || t.Kind == e.Kind
}

func scrapeErr(r failure.Kind, format string, args ...any) *ScrapeError {
	return &ScrapeError{Kind: r, Err: fmt.Errorf(format, args...)}
}

// KindOf returns the Kind of err when it is (or wraps) a *ScrapeError, and "" otherwise.
func KindOf(err error) failure.Kind {
	if se, ok := errors.AsType[*ScrapeError](err); ok {
		return se.Kind
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
	case e.Kind == failure.KindHTTPStatus && e.Status != 0:
		return fmt.Sprintf("%s answered %d", path, e.Status)
	case e.Kind == failure.KindTimeout:
		return path + " timed out"
	case e.Kind == failure.KindConnect:
		return path + " unreachable (connect)"
	}
	return path + ": " + string(e.Kind)
}
