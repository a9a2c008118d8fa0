package hz

import (
	"errors"
	"net/url"

	"github.com/featherweight/xk6-featherweight/internal/urlmask"
)

// RedactURL returns raw for errors, logs and tags with its userinfo masked the way k6/http masks
// it: "****:****@" when a password is present, "****@" for a user alone (see internal/urlmask).
func RedactURL(raw string) string { return urlmask.String(raw) }

// redactErr rewrites the URL of a *url.Error inside err (net/http's client prints
// "user:***@", which still names the user) in the same masking as RedactURL.
func redactErr(err error) error {
	var ue *url.Error
	if err != nil && errors.As(err, &ue) {
		ue.URL = RedactURL(ue.URL)
	}
	return err
}
