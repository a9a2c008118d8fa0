package trace

import (
	"errors"
	"fmt"
	"time"
)

// Format names a trace file format.
type Format string

// The formats; the zero Format asks [Load] to detect it.
const (
	Azure      Format = "azure"
	Mooncake   Format = "mooncake"
	BurstGPT   Format = "burstgpt"
	Timestamps Format = "timestamps"
)

// Formats lists every format, for documentation and error messages.
func Formats() []Format { return []Format{Azure, Mooncake, BurstGPT, Timestamps} }

// ParseFormat returns the Format named s ("" is detection).
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return "", nil
	}
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w %q (want one of %v)", ErrUnknownFormat, s, Formats())
}

// HasTokens reports whether the format's rows carry token counts.
func (f Format) HasTokens() bool { return f != Timestamps && f != "" }

// Row is one request of a trace.
type Row struct {
	// Line is the row's line in the file, from 1.
	Line int
	// At is the row's offset from the first row.
	At time.Duration
	// InputTokens and OutputTokens are the request's prompt and reply sizes (0 for Timestamps).
	InputTokens, OutputTokens int64
	// Model is BurstGPT's model column ("" in the other formats).
	Model string
	// HashIDs are Mooncake's prompt block hashes (nil in the other formats).
	HashIDs []int64
}

// Trace is a parsed trace file.
type Trace struct {
	// Path is the file as given to Load.
	Path   string
	Format Format
	Rows   []Row
}

// Duration is the last row's offset.
func (t *Trace) Duration() time.Duration { return t.Rows[len(t.Rows)-1].At }

// ErrUnknownFormat is returned for a format name that is not one of [Formats].
var ErrUnknownFormat = errors.New("unknown trace format")

// ErrEmpty is returned for a file without one row.
var ErrEmpty = errors.New("no rows in the trace")

// LineError is a row that cannot be read, or that goes back in time. Line counts from 1 (0: the
// file as a whole, such as an undetectable format).
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}
