package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// MaxLineBytes bounds one line of a dataset file (one conversation).
const MaxLineBytes = 64 << 20

// Dataset is a loaded, read-only set of conversations.
type Dataset struct {
	name    string
	prompts []string // every human turn of every conversation, in file order
	starts  []uint32 // conversation i is prompts[starts[i]:starts[i+1]]; len(starts) = Len()+1
	skipped int      // lines that parsed but had no human turn
}

// Load reads the JSONL file at path. The dataset's name is the file's base name.
func Load(path string) (*Dataset, error) {
	f, err := os.Open(filepath.Clean(path)) // any file the script names, as k6's open() reads
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	d, err := Parse(f, path)
	if err != nil {
		return nil, err
	}
	d.name = filepath.Base(path)
	return d, nil
}

// Parse reads JSONL from r; file names the source in errors and is the dataset's name.
func Parse(r io.Reader, file string) (*Dataset, error) {
	return parse(r, file, MaxLineBytes)
}

func parse(r io.Reader, file string, maxLine int) (*Dataset, error) {
	d := &Dataset{name: file, starts: []uint32{0}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, maxLine)), maxLine)
	line, nonBlank := 0, 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		nonBlank++
		n, err := d.add(b)
		if err != nil {
			return nil, &LineError{File: file, Line: line, Msg: err.Error()}
		}
		if n == 0 {
			d.skipped++
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &LineError{File: file, Line: line + 1, Msg: fmt.Sprintf("line longer than %d bytes", maxLine)}
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	switch {
	case nonBlank == 0:
		return nil, fmt.Errorf("%s: %w", file, ErrEmpty)
	case d.Len() == 0:
		return nil, fmt.Errorf("%s: %w (%d lines, none with a non-empty human turn)", file, ErrNoHumanTurns, nonBlank)
	}
	d.prompts = slices.Clip(d.prompts)
	d.starts = slices.Clip(d.starts)
	return d, nil
}

// record is one line: either ShareGPT's conversations or plain turns.
type record struct {
	Conversations *[]message `json:"conversations"`
	Turns         *[]*string `json:"turns"`
}

type message struct {
	From  *string `json:"from"`
	Value *string `json:"value"`
}

// add parses one line and appends its non-empty human turns as a conversation; it returns how
// many it appended (0: the line is skipped).
func (d *Dataset) add(b []byte) (int, error) {
	if b[0] != '{' {
		return 0, errors.New(`expected a JSON object with "conversations" or "turns"`)
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return 0, jsonError(err)
	}
	before := len(d.prompts)
	switch {
	case rec.Conversations != nil && rec.Turns != nil:
		return 0, errors.New(`both "conversations" and "turns": expected one of them`)
	case rec.Conversations != nil:
		for i, m := range *rec.Conversations {
			if m.From == nil || m.Value == nil {
				return 0, fmt.Errorf(`conversations[%d]: expected {"from": string, "value": string}`, i)
			}
			if (*m.From == "human" || *m.From == "user") && *m.Value != "" {
				d.prompts = append(d.prompts, *m.Value)
			}
		}
	case rec.Turns != nil:
		for i, t := range *rec.Turns {
			if t == nil {
				return 0, fmt.Errorf("turns[%d]: expected a string, got null", i)
			}
			if *t != "" {
				d.prompts = append(d.prompts, *t)
			}
		}
	default:
		return 0, errors.New(`expected a "conversations" array (ShareGPT) or a "turns" array of strings`)
	}
	end := len(d.prompts)
	if end > math.MaxUint32 {
		return 0, fmt.Errorf("more than %d prompts in one dataset", uint32(math.MaxUint32))
	}
	n := end - before
	if n > 0 {
		d.starts = append(d.starts, uint32(end))
	}
	return n, nil
}

// jsonError shortens encoding/json's errors to what a dataset author needs.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("invalid JSON at byte %d: %w", syn.Offset, err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return fmt.Errorf(`expected a JSON object with "conversations" or "turns", got %s`, typ.Value)
		}
		return fmt.Errorf("%s: expected %s, got %s", field, jsonKind(typ.Type.Kind().String()), typ.Value)
	default:
		return fmt.Errorf("invalid JSON: %w", err)
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice":
		return "an array"
	case "struct":
		return "an object"
	default:
		return "a " + goKind
	}
}

// Name is the dataset's name: the file's base name.
func (d *Dataset) Name() string { return d.name }

// Len is the number of conversations (lines with at least one human turn).
func (d *Dataset) Len() int { return len(d.starts) - 1 }

// Prompts is the number of human turns in all conversations.
func (d *Dataset) Prompts() int { return len(d.prompts) }

// Skipped is the number of lines without a non-empty human turn.
func (d *Dataset) Skipped() int { return d.skipped }

// Conversation returns the human turns of conversation i (0 <= i < Len()), in order. The slice
// is shared: callers must not modify it.
func (d *Dataset) Conversation(i int) []string {
	return d.prompts[d.starts[i]:d.starts[i+1]:d.starts[i+1]]
}
