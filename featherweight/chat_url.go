package featherweight

import (
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/grafana/sobek"

	"github.com/featherweight/xk6-featherweight/internal/urlmask"
)

// chatURL is the url argument of chat(), chatAsync() and connect(), checked on the JS thread.
type chatURL struct {
	dial  string        // what is dialled: the URL without userinfo (gorilla refuses userinfo)
	shown string        // what errors, logs and tags show: userinfo masked as k6/http masks it
	user  *url.Userinfo // userinfo of the URL, sent as Basic auth; nil when none
}

// parseChatURL accepts a ws:// or wss:// URL. Userinfo (ws://user:pass@host/) becomes an
// Authorization: Basic header, as k6/http does for http URLs; it never appears in errors or tags.
func parseChatURL(v sobek.Value) (*chatURL, error) {
	u, err := optURL(v, "url", "ws", "wss")
	if err != nil {
		return nil, err
	}
	t := &chatURL{shown: urlmask.URL(u), user: u.User}
	u.User = nil
	t.dial = u.String()
	return t, nil
}

// basicAuth sets Authorization: Basic from the URL's userinfo on h (creating it when nil) unless
// the script set an Authorization header itself, which wins.
func (t *chatURL) basicAuth(h http.Header) http.Header {
	if t.user == nil {
		return h
	}
	if h == nil {
		h = http.Header{}
	} else if h.Get("Authorization") != "" {
		return h
	}
	pass, _ := t.user.Password()
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(t.user.Username()+":"+pass)))
	return h
}
