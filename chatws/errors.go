package chatws

import (
	"fmt"

	"github.com/featherweight/xk6-featherweight/failure"
)

// Error is the error type returned by Dial and carried in Result.Err. Its Kind is one of
// failure.ChatKinds (the error_kind tag of the fw_chat_errors metric).
type Error struct {
	Kind failure.Kind
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

func newErr(kind failure.Kind, msg string, cause error) *Error {
	return &Error{Kind: kind, Msg: msg, Err: cause}
}
