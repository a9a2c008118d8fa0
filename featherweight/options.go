package featherweight

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/lib/types"

	"github.com/featherweight/xk6-featherweight/internal/urlmask"
)

// Generic helpers for parsing JS option objects: each returns an error naming the option.

// optObject returns v as an object, or nil for null/undefined; name is used in errors.
func optObject(rt *sobek.Runtime, v sobek.Value, name string) (*sobek.Object, error) {
	if common.IsNullish(v) {
		return nil, nil //nolint:nilnil // a nil object means "not given" (documented above); callers test it
	}
	if _, ok := v.Export().(map[string]any); !ok {
		return nil, fmt.Errorf("%s must be an object, got %s", name, typeOf(v))
	}
	return v.ToObject(rt), nil
}

func typeOf(v sobek.Value) string {
	if v == nil || sobek.IsUndefined(v) {
		return "undefined"
	}
	if sobek.IsNull(v) {
		return "null"
	}
	switch v.Export().(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64, float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return v.ExportType().String()
}

// optDuration accepts a number of milliseconds or a string like "5s" / "1m30s"; it rejects
// negative values.
func optDuration(v sobek.Value, name string) (time.Duration, error) {
	var d time.Duration
	switch x := v.Export().(type) {
	case int64:
		if x > maxDurationMillis {
			return 0, errDurationRange(name, float64(x))
		}
		d = time.Duration(x) * time.Millisecond
		if x < 0 {
			d = -1
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%s must be a finite duration", name)
		}
		if x > float64(maxDurationMillis) {
			return 0, errDurationRange(name, x)
		}
		d = time.Duration(x * float64(time.Millisecond))
		if x < 0 {
			d = -1
		}
	case string:
		var err error
		if d, err = types.GetDurationValue(x); err != nil {
			return 0, fmt.Errorf("%s: invalid duration %q (use milliseconds or a string like \"5s\")", name, x)
		}
	default:
		return 0, fmt.Errorf("%s must be a duration (milliseconds or a string like \"5s\"), got %s", name, typeOf(v))
	}
	if d < 0 {
		return 0, fmt.Errorf("%s must not be negative", name)
	}
	return d, nil
}

// maxDurationMillis is the largest number of milliseconds a time.Duration holds (about 292 years).
const maxDurationMillis = math.MaxInt64 / int64(time.Millisecond)

func errDurationRange(name string, ms float64) error {
	return fmt.Errorf("%s is out of range: %.0f ms is more than a duration can hold (at most %d ms)",
		name, ms, maxDurationMillis)
}

func optString(v sobek.Value, name string) (string, error) {
	s, ok := v.Export().(string)
	if !ok {
		return "", fmt.Errorf("%s must be a string, got %s", name, typeOf(v))
	}
	return s, nil
}

// optInt accepts a non-negative integer number.
func optInt(v sobek.Value, name string) (int64, error) {
	switch x := v.Export().(type) {
	case int64:
		if x < 0 {
			return 0, fmt.Errorf("%s must not be negative", name)
		}
		return x, nil
	case float64:
		if x < 0 || x != math.Trunc(x) || x > math.MaxInt32*1024.0 {
			return 0, fmt.Errorf("%s must be a non-negative integer", name)
		}
		return int64(x), nil
	}
	return 0, fmt.Errorf("%s must be a number, got %s", name, typeOf(v))
}

func optStrings(v sobek.Value, name string) ([]string, error) {
	if ss, ok := v.Export().([]string); ok { // an array that came from Go (k6's options)
		return append([]string(nil), ss...), nil
	}
	arr, ok := v.Export().([]any)
	if !ok {
		if s, ok := v.Export().(string); ok {
			return []string{s}, nil
		}
		return nil, fmt.Errorf("%s must be an array of strings, got %s", name, typeOf(v))
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be a string", name, i)
		}
		out = append(out, s)
	}
	return out, nil
}

func optStringMap(rt *sobek.Runtime, v sobek.Value, name string) (map[string]string, error) {
	obj, err := optObject(rt, v, name)
	if err != nil || obj == nil {
		return nil, err
	}
	out := make(map[string]string, len(obj.Keys()))
	for _, k := range obj.Keys() {
		e := obj.Get(k)
		switch x := e.Export().(type) {
		case string:
			out[k] = x
		case int64, float64, bool:
			out[k] = e.String()
		default:
			return nil, fmt.Errorf("%s.%s must be a string, got %s", name, k, typeOf(e))
		}
	}
	return out, nil
}

// optTemplate accepts a string, or an object that is serialised to JSON (placeholders such as
// "{{prompt}}" inside its strings survive).
func optTemplate(v sobek.Value, name string) (string, error) {
	switch x := v.Export().(type) {
	case string:
		return x, nil
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("%s must be a string or an object, got %s", name, typeOf(v))
}

// optURL parses a required absolute URL argument whose scheme is one of schemes (lower case,
// e.g. "ws", "wss"); the error names the argument, the schemes expected and what was given (with
// any userinfo masked, never echoed).
func optURL(v sobek.Value, name string, schemes ...string) (*url.URL, error) {
	want := make([]string, len(schemes))
	for i, s := range schemes {
		want[i] = s + "://"
	}
	expected := fmt.Sprintf("%s must be a %s URL", name, strings.Join(want, " or "))
	if common.IsNullish(v) {
		return nil, fmt.Errorf("%s, got %s", expected, typeOf(v))
	}
	s, ok := v.Export().(string)
	if !ok {
		return nil, fmt.Errorf("%s, got %s", expected, typeOf(v))
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%s, got an unparsable string", expected)
	}
	for _, sc := range schemes {
		if strings.EqualFold(u.Scheme, sc) && u.Host != "" {
			u.Scheme = sc
			return u, nil
		}
	}
	return nil, fmt.Errorf("%s, got %q", expected, urlmask.URL(u))
}

func unknownOption(name, key string, known ...string) error {
	return fmt.Errorf("unknown option %s%s (known: %s)", name, key, strings.Join(known, ", "))
}

// option is one key of a JS options object and its parser, which stores the parsed value in *T;
// name is the option's full name for errors (e.g. "timeouts.idle").
type option[T any] struct {
	key   string
	parse func(rt *sobek.Runtime, dst *T, v sobek.Value, name string) error
}

// optionTable is the one list of a JS object's keys and their parsers: the known keys of an
// "unknown option" error come from it, so they cannot drift from the parsing.
type optionTable[T any] struct {
	prefix      string // prepended to keys in errors: "timeouts."
	skipNullish bool   // null or undefined values keep the default (and are not checked)
	options     []option[T]
}

// keys lists the table's keys in order.
func (t *optionTable[T]) keys() []string {
	out := make([]string, len(t.options))
	for i, o := range t.options {
		out[i] = o.key
	}
	return out
}

// lookup returns the option for key, or nil.
func (t *optionTable[T]) lookup(key string) *option[T] {
	for i := range t.options {
		if t.options[i].key == key {
			return &t.options[i]
		}
	}
	return nil
}

// only returns a table of the given keys of t, in that order (each key must be in t).
func (t *optionTable[T]) only(keys ...string) optionTable[T] {
	sub := optionTable[T]{prefix: t.prefix, skipNullish: t.skipNullish}
	for _, k := range keys {
		sub.options = append(sub.options, *t.lookup(k))
	}
	return sub
}

// parse parses every key of obj into dst, in the object's key order; the first error wins.
// unknown, when set, is asked first for a key the table does not know.
func (t *optionTable[T]) parse(rt *sobek.Runtime, obj *sobek.Object, dst *T, unknown func(key string) error) error {
	for _, k := range obj.Keys() {
		v := obj.Get(k)
		if t.skipNullish && common.IsNullish(v) {
			continue
		}
		o := t.lookup(k)
		if o == nil {
			if unknown != nil {
				if err := unknown(k); err != nil {
					return err
				}
			}
			return unknownOption(t.prefix, k, t.keys()...)
		}
		if err := o.parse(rt, dst, v, t.prefix+k); err != nil {
			return err
		}
	}
	return nil
}

// stringOpt is the parser of a string option stored by field.
func stringOpt[T any](field func(*T) *string) func(*sobek.Runtime, *T, sobek.Value, string) error {
	return func(_ *sobek.Runtime, dst *T, v sobek.Value, name string) (err error) {
		*field(dst), err = optString(v, name)
		return err
	}
}

// stringsOpt is the parser of a string-array option stored by field.
func stringsOpt[T any](field func(*T) *[]string) func(*sobek.Runtime, *T, sobek.Value, string) error {
	return func(_ *sobek.Runtime, dst *T, v sobek.Value, name string) (err error) {
		*field(dst), err = optStrings(v, name)
		return err
	}
}

// durationOpt is the parser of a duration option stored by field.
func durationOpt[T any](field func(*T) *time.Duration) func(*sobek.Runtime, *T, sobek.Value, string) error {
	return func(_ *sobek.Runtime, dst *T, v sobek.Value, name string) (err error) {
		*field(dst), err = optDuration(v, name)
		return err
	}
}
