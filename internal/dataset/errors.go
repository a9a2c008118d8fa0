package dataset

import (
	"errors"
	"fmt"
)

// ErrEmpty is returned for a file without one conversation line (empty, or only blank lines).
var ErrEmpty = errors.New("no conversations in the dataset")

// ErrNoHumanTurns is returned for a file whose lines parse but carry no human turn at all.
var ErrNoHumanTurns = errors.New("no human turns in the dataset")

// LineError is a line of the file that is not a conversation: not JSON, or not one of the two
// shapes the package reads. Line counts from 1.
type LineError struct {
	File string // the file's name as given to Load (or to Parse)
	Line int
	Msg  string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}
