package fwsim

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Frames are built by appending to a per-connection buffer: no maps, no reflection per frame.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string (RFC 8259 escaping; invalid UTF-8 becomes U+FFFD).
func appendJSONString[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:]))
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// isoMillis is JavaScript's Date.prototype.toISOString layout (UTC, always three fraction digits),
// the timestamps the real orchestrator sends.
const isoMillis = "2006-01-02T15:04:05.000Z"

// appendTimestamp appends t as a quoted JavaScript ISO string, e.g. "2026-12-02T02:48:17.226Z".
func appendTimestamp(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, isoMillis)
	return append(b, '"')
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
