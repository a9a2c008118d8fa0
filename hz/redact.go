package hz

import (
	"errors"
	"net/url"
	"strings"
)

// RedactURL returns raw for errors, logs and tags with its userinfo masked the way k6/http masks
// it: "****:****@" when a password is present, "****@" for a user alone. A URL without userinfo
// is returned unchanged; one that does not parse is masked between "://" and the last "@" of
// its authority, so that no credential is ever printed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err == nil {
		if u.User == nil {
			return raw
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
	// Unparsable: mask by hand.
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

// redactErr rewrites the URL of a *url.Error inside err (net/http's client prints
// "user:***@", which still names the user) in the same masking as RedactURL.
func redactErr(err error) error {
	var ue *url.Error
	if err != nil && errors.As(err, &ue) {
		ue.URL = RedactURL(ue.URL)
	}
	return err
}
