package chatws

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// A tiny allocation-free JSON scanner: enough to pull a few fields out of one frame by path
// without unmarshalling it into a map. It validates only what it walks; values it skips are
// delimited, not validated. It never panics on arbitrary input (see the fuzz targets).

var errMalformed = errors.New("malformed JSON")

// path is a pre-split dotted path; a numeric element indexes an array.
type path []string

func splitPath(p string) path {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index after the closing quote of the string starting at b[i]=='"'.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index after the value starting at b[i] (no leading whitespace), or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; c {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default:
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if j == i {
					return -1
				}
				return j
			}
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}

// keyEquals compares a raw JSON string token (with quotes) with k.
func keyEquals(raw []byte, k string) bool {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == k
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return false
	}
	return s == k
}

// lookup returns the raw value at p in b. found is false when a path element is absent or the
// value on the way has the wrong type; err is set when the walked part is malformed.
func lookup(b []byte, p path) (raw []byte, found bool, err error) {
	i := skipWS(b, 0)
	for _, key := range p {
		if i >= len(b) {
			return nil, false, errMalformed
		}
		switch b[i] {
		case '{':
			i, found, err = objectField(b, i, key)
		case '[':
			i, found, err = arrayIndex(b, i, key)
		default:
			if valueEnd(b, i) < 0 {
				return nil, false, errMalformed
			}
			return nil, false, nil
		}
		if err != nil || !found {
			return nil, false, err
		}
	}
	e := valueEnd(b, i)
	if e < 0 {
		return nil, false, errMalformed
	}
	return b[i:e], true, nil
}

// objectField finds key in the object at b[i]=='{' and returns the start of its value.
func objectField(b []byte, i int, key string) (int, bool, error) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return 0, false, nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return 0, false, errMalformed
		}
		ke := stringEnd(b, i)
		if ke < 0 {
			return 0, false, errMalformed
		}
		match := keyEquals(b[i:ke], key)
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return 0, false, errMalformed
		}
		i = skipWS(b, i+1)
		if match {
			if i >= len(b) {
				return 0, false, errMalformed
			}
			return i, true, nil
		}
		next, more, err := skipElement(b, i, '}')
		if err != nil || !more {
			return 0, false, err
		}
		i = next
	}
	return 0, false, errMalformed
}

// arrayIndex returns the start of element idx of the array at b[i]=='['.
func arrayIndex(b []byte, i int, idx string) (int, bool, error) {
	n := 0
	for _, c := range []byte(idx) {
		if c < '0' || c > '9' || n > 1<<20 {
			return 0, false, nil
		}
		n = n*10 + int(c-'0')
	}
	if idx == "" {
		return 0, false, nil
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return 0, false, nil
	}
	for k := 0; i < len(b); k++ {
		if k == n {
			return i, true, nil
		}
		next, more, err := skipElement(b, i, ']')
		if err != nil || !more {
			return 0, false, err
		}
		i = next
	}
	return 0, false, errMalformed
}

// skipElement skips the value at b[i] and the separator after it: it returns the start of the
// next element (more is true) after a ',', or more is false at the closing bracket.
func skipElement(b []byte, i int, closing byte) (next int, more bool, err error) {
	ve := valueEnd(b, i)
	if ve < 0 {
		return 0, false, errMalformed
	}
	i = skipWS(b, ve)
	if i >= len(b) {
		return 0, false, errMalformed
	}
	switch b[i] {
	case ',':
		return skipWS(b, i+1), true, nil
	case closing:
		return 0, false, nil
	}
	return 0, false, errMalformed
}

// stringValue returns the contents of a raw JSON string. Without escapes it aliases raw.
func stringValue(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

// rawEquals reports whether the raw JSON string equals s (fast path without escapes).
func rawEquals(raw []byte, s string) bool {
	if len(raw) < 2 || raw[0] != '"' {
		return false
	}
	return keyEquals(raw, s)
}

// intValue parses a non-negative JSON integer (a fractional part is truncated).
func intValue(raw []byte) (int, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	n := 0
	for k, c := range raw {
		if c == '.' && k > 0 {
			return n, true
		}
		if c < '0' || c > '9' || n > 1<<40 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// getString looks up p and returns its string value; ok is false when absent or not a string.
func getString(b []byte, p path) (s []byte, ok bool, err error) {
	raw, found, err := lookup(b, p)
	if err != nil || !found {
		return nil, false, err
	}
	s, ok = stringValue(raw)
	return s, ok, nil
}

// appendJSONString appends s as JSON string contents (no quotes), escaping as needed.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

func startsObject(b []byte) bool {
	i := skipWS(b, 0)
	return i < len(b) && b[i] == '{'
}
