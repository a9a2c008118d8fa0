package trace

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxLine bounds one line of a trace (a Mooncake row's hash_ids can be long).
const maxLine = 16 << 20

// Parse reads a trace in format f (detected when f is "") from data; file names it in errors.
func Parse(file string, data []byte, f Format) (*Trace, error) {
	if f == "" {
		var err error
		if f, err = detect(file, data); err != nil {
			return nil, err
		}
	}
	p := &parser{file: file, trace: &Trace{Path: file, Format: f}}
	var err error
	switch f {
	case Azure:
		err = p.csv(data, []string{"TIMESTAMP", "ContextTokens", "GeneratedTokens"}, p.azureRow)
	case BurstGPT:
		err = p.csv(data, []string{"Timestamp", "Model", "Request tokens", "Response tokens"}, p.burstRow)
	case Mooncake:
		err = p.lines(data, p.mooncakeRow)
	case Timestamps:
		err = p.lines(data, p.timestampRow)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownFormat, f)
	}
	if err != nil {
		return nil, err
	}
	if len(p.trace.Rows) == 0 {
		return nil, fmt.Errorf("%s: %w", file, ErrEmpty)
	}
	return p.trace, nil
}

// detect tells the format from the first non-blank line.
func detect(file string, data []byte) (Format, error) {
	first := ""
	for line := range bytes.Lines(data) {
		if s := strings.TrimSpace(string(line)); s != "" {
			first = strings.TrimPrefix(s, "\ufeff")
			break
		}
	}
	switch {
	case strings.HasPrefix(first, "{"):
		return Mooncake, nil
	case strings.Contains(first, "ContextTokens") && strings.Contains(first, "TIMESTAMP"):
		return Azure, nil
	case strings.Contains(first, "Request tokens") && strings.Contains(first, "Timestamp"):
		return BurstGPT, nil
	case first != "":
		if _, err := strconv.ParseFloat(first, 64); err == nil {
			return Timestamps, nil
		}
	}
	return "", &LineError{File: file, Msg: fmt.Sprintf("cannot tell the trace format from its first line %q: "+
		"set format to one of %v", truncate(first, 80), Formats())}
}

// parser accumulates rows and checks their order.
type parser struct {
	file  string
	trace *Trace
	t0    int64 // the first row's timestamp, in ns of the file's clock
	last  int64
}

// add appends a row at ts ns (in the file's clock).
func (p *parser) add(line int, ts int64, r Row) error {
	if len(p.trace.Rows) == 0 {
		p.t0 = ts
	} else if ts < p.last {
		return p.errorf(line, "timestamp goes back in time (%s before the row above): rows must be in time order",
			time.Duration(p.last-ts))
	}
	p.last = ts
	r.Line = line
	r.At = time.Duration(ts - p.t0)
	p.trace.Rows = append(p.trace.Rows, r)
	return nil
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &LineError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// csv reads a CSV file whose header holds at least want (in any order), calling row for each
// record with the columns' indexes.
func (p *parser) csv(data []byte, want []string, row func(line int, rec []string, col map[string]int) error) error {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return p.errorf(1, "cannot read the CSV header: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, w := range want {
		if _, ok := col[w]; !ok {
			return p.errorf(1, "the CSV header has no %q column (want %s)", w, strings.Join(want, ", "))
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			if pe, ok := errors.AsType[*csv.ParseError](err); ok {
				return p.errorf(pe.Line, "%v", pe.Err)
			}
			return p.errorf(line, "%v", err)
		}
		if err := row(line, rec, col); err != nil {
			return err
		}
	}
}

// lines calls row for each non-blank line.
func (p *parser) lines(data []byte, row func(line int, text []byte) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for n := 1; sc.Scan(); n++ {
		text := bytes.TrimSpace(sc.Bytes())
		if n == 1 {
			text = bytes.TrimPrefix(text, []byte("\ufeff"))
		}
		if len(text) == 0 {
			continue
		}
		if err := row(n, text); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &LineError{File: p.file, Msg: err.Error()}
	}
	return nil
}

// azureTime is the Azure traces' TIMESTAMP layout (up to 7 fractional digits in the files).
const azureTime = "2006-01-02 15:04:05.999999999"

func (p *parser) azureRow(line int, rec []string, col map[string]int) error {
	s := strings.TrimSpace(rec[col["TIMESTAMP"]])
	at, err := time.Parse(azureTime, s)
	if err != nil {
		return p.errorf(line, "TIMESTAMP %q is not a date and time like 2023-11-16 18:15:46.6805900", truncate(s, 40))
	}
	in, err := p.tokens(line, "ContextTokens", rec[col["ContextTokens"]])
	if err != nil {
		return err
	}
	out, err := p.tokens(line, "GeneratedTokens", rec[col["GeneratedTokens"]])
	if err != nil {
		return err
	}
	return p.add(line, at.UnixNano(), Row{InputTokens: in, OutputTokens: out})
}

func (p *parser) burstRow(line int, rec []string, col map[string]int) error {
	ts, err := p.number(line, "Timestamp", rec[col["Timestamp"]])
	if err != nil {
		return err
	}
	in, err := p.tokens(line, "Request tokens", rec[col["Request tokens"]])
	if err != nil {
		return err
	}
	out, err := p.tokens(line, "Response tokens", rec[col["Response tokens"]])
	if err != nil {
		return err
	}
	return p.add(line, nanos(ts), Row{InputTokens: in, OutputTokens: out, Model: p.intern(rec[col["Model"]])})
}

// intern shares the few distinct model names between rows (a BurstGPT file has millions of rows).
func (p *parser) intern(s string) string {
	s = strings.TrimSpace(s)
	if n := len(p.trace.Rows); n > 0 && p.trace.Rows[n-1].Model == s {
		return p.trace.Rows[n-1].Model
	}
	return strings.Clone(s) // the CSV reader reuses its record
}

// mooncakeRow is one JSON line; the fields are required and must be numbers.
type mooncakeRow struct {
	Timestamp    *float64 `json:"timestamp"`
	InputLength  *float64 `json:"input_length"`
	OutputLength *float64 `json:"output_length"`
	HashIDs      []int64  `json:"hash_ids"`
}

func (p *parser) mooncakeRow(line int, text []byte) error {
	var r mooncakeRow
	if err := json.Unmarshal(text, &r); err != nil {
		return p.errorf(line, "not a Mooncake row (a JSON object with timestamp, input_length, output_length): %v", err)
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{{"timestamp", r.Timestamp}, {"input_length", r.InputLength}, {"output_length", r.OutputLength}} {
		if f.v == nil {
			return p.errorf(line, "%s is missing", f.name)
		}
	}
	in, err := p.tokens(line, "input_length", strconv.FormatFloat(*r.InputLength, 'f', -1, 64))
	if err != nil {
		return err
	}
	out, err := p.tokens(line, "output_length", strconv.FormatFloat(*r.OutputLength, 'f', -1, 64))
	if err != nil {
		return err
	}
	if math.Abs(*r.Timestamp/1000) >= maxSeconds {
		return p.errorf(line, "timestamp %v is out of range", *r.Timestamp)
	}
	return p.add(line, nanos(*r.Timestamp/1000), Row{InputTokens: in, OutputTokens: out, HashIDs: r.HashIDs})
}

func (p *parser) timestampRow(line int, text []byte) error {
	ts, err := p.number(line, "timestamp", string(text))
	if err != nil {
		return err
	}
	return p.add(line, nanos(ts), Row{})
}

// number parses a finite number in column name.
func (p *parser) number(line int, name, s string) (float64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.Abs(v) >= maxSeconds {
		return 0, p.errorf(line, "%s %q is not a number of seconds", name, truncate(s, 40))
	}
	return v, nil
}

// tokens parses a token count: a whole number >= 0.
func (p *parser) tokens(line int, name, s string) (int64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, p.errorf(line, "%s %q is not a token count (a whole number >= 0)", name, truncate(s, 40))
	}
	return v, nil
}

// maxSeconds keeps a timestamp's nanoseconds within int64 (about 292 years).
const maxSeconds = math.MaxInt64 / float64(time.Second)

// nanos converts seconds (finite, checked by number) to whole nanoseconds.
func nanos(s float64) int64 {
	return int64(math.Round(s * float64(time.Second)))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
