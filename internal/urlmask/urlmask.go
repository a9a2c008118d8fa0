// Package urlmask masks the userinfo of URLs for errors, logs, tags and summaries, the way k6/http
// masks it: "****:****@" when a password is present, "****@" for a user alone. The chat client's
// binding and the Hz monitor share it, so a credential is masked the same way everywhere.
package urlmask

import (
	"net/url"
	"strings"
)

// URL returns u as a string with its userinfo masked; a URL without userinfo is u.String().
func URL(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	mask := "****@"
	if _, ok := u.User.Password(); ok {
		mask = "****:****@"
	}
	c := *u
	c.User = nil
	s := c.String()
	if i := strings.Index(s, "://"); i >= 0 {
		return s[:i+3] + mask + s[i+3:]
	}
	return mask + s
}

// String masks the userinfo of raw. A URL without userinfo is returned unchanged; one that does
// not parse is masked between "://" and the last "@" of its authority, so that no credential is
// ever printed.
func String(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if u.User == nil {
			return raw
		}
		return URL(u)
	}
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	authority := rest
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		authority = rest[:j]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	mask := "****@"
	if strings.Contains(authority[:at], ":") {
		mask = "****:****@"
	}
	return raw[:i+3] + mask + rest[at+1:]
}
