package chatws

import "fmt"

// ErrorKind classifies why a turn (or a dial) failed. The values are stable: they are the
// error_kind tag of the fw_chat_errors metric.
type ErrorKind string

// Error kinds.
const (
	ErrConnect           ErrorKind = "connect"             // TCP/TLS/proxy dial failed or timed out
	ErrHandshake         ErrorKind = "handshake"           // the server answered the upgrade with a non-101 response
	ErrTimeoutFirstToken ErrorKind = "timeout_first_token" // no token-bearing frame within Timeouts.FirstToken
	ErrTimeoutIdle       ErrorKind = "timeout_idle"        // a gap between token-bearing frames exceeded Timeouts.Idle
	ErrTimeoutTotal      ErrorKind = "timeout_total"       // the turn exceeded Timeouts.Total
	ErrClosed            ErrorKind = "closed"              // the socket closed or dropped before the terminal frame
	ErrServerError       ErrorKind = "server_error"        // the server sent an error frame for this turn
	ErrProtocol          ErrorKind = "protocol"            // undecodable or oversize frame, or an unencodable write
	ErrCanceled          ErrorKind = "canceled"            // the caller's context was cancelled (k6 gracefulStop/abort)
	ErrInternal          ErrorKind = "internal"            // a client bug: a turn goroutine panicked (stack logged)
)

// Error is the error type returned by Dial and carried in Result.Err.
type Error struct {
	Kind ErrorKind
	Msg  string
	Err  error // underlying cause, may be nil
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Msg)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

func newErr(kind ErrorKind, msg string, cause error) *Error {
	return &Error{Kind: kind, Msg: msg, Err: cause}
}
