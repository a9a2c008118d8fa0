package verdict

import (
	"errors"
	"fmt"
)

// ErrBadInput is matched (errors.Is) by every error that means the run cannot be judged: no
// Prometheus at the URL, no samples for the testid, runners that disagree, a threshold that cannot
// be evaluated on merged data. The verdict exits with its own code for it (2), never with a pass.
var ErrBadInput = errors.New("cannot judge the run")

// BadInputError says why the run cannot be judged.
type BadInputError struct {
	Reason string
	Err    error // the underlying error, if any
}

func (e *BadInputError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Reason, e.Err)
	}
	return e.Reason
}

// Unwrap makes errors.Is(err, ErrBadInput) true and exposes the cause.
func (e *BadInputError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrBadInput, e.Err}
	}
	return []error{ErrBadInput}
}

func badInput(err error, format string, a ...any) error {
	return &BadInputError{Reason: fmt.Sprintf(format, a...), Err: err}
}
