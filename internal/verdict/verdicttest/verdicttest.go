// Package verdicttest records the Prometheus HTTP API exchanges of a real verdict and replays them,
// so that the verdict package's unit tests run on recorded answers of a real Prometheus server.
package verdicttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
)

// Exchange is one recorded API call: the request's path and PromQL (query, or the match[] selectors
// of a label-values call, one a line), and the answer.
type Exchange struct {
	Path   string          `json:"path"`
	Query  string          `json:"query"`
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// key identifies a request independently of its evaluation time.
func key(path string, form url.Values) string {
	if q := form.Get("query"); q != "" {
		return path + " " + q
	}
	match := form["match[]"]
	slices.Sort(match)
	return path + " " + strings.Join(match, "\n")
}

// Recorder is an http.RoundTripper that passes requests on and records the exchanges.
type Recorder struct {
	Next http.RoundTripper

	mu        sync.Mutex
	exchanges []Exchange
}

// RoundTrip implements http.RoundTripper.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	form, err := requestForm(req)
	if err != nil {
		return nil, err
	}
	next := r.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	q := form.Get("query")
	if q == "" {
		q = strings.Join(form["match[]"], "\n")
	}
	r.mu.Lock()
	r.exchanges = append(r.exchanges, Exchange{Path: req.URL.Path, Query: q, Status: resp.StatusCode, Body: body})
	r.mu.Unlock()
	return resp, nil
}

// requestForm reads a request's query and form body (and puts the body back).
func requestForm(req *http.Request) (url.Values, error) {
	form := req.URL.Query()
	if req.Body == nil || req.Body == http.NoBody {
		return form, nil
	}
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	posted, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, err
	}
	for k, v := range posted {
		form[k] = append(form[k], v...)
	}
	return form, nil
}

// Save writes the recorded exchanges as indented JSON.
func (r *Recorder) Save(path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, err := json.MarshalIndent(r.exchanges, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// Load reads exchanges saved by Recorder.Save.
func Load(path string) ([]Exchange, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- a test's own testdata file
	if err != nil {
		return nil, err
	}
	var ex []Exchange
	if err := json.Unmarshal(b, &ex); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ex, nil
}

// Replay is a fake Prometheus that answers recorded requests (matched by path and PromQL, not by
// time) and fails the test's expectations with HTTP 500 and the request for anything else.
type Replay struct {
	*httptest.Server
	answers map[string]Exchange

	mu      sync.Mutex
	unknown []string
}

// NewReplay starts a replaying server; Close it when done.
func NewReplay(exchanges []Exchange) *Replay {
	r := &Replay{answers: map[string]Exchange{}}
	for _, e := range exchanges {
		form := url.Values{"query": {e.Query}}
		if e.Path != "/api/v1/query" {
			form = url.Values{"match[]": strings.Split(e.Query, "\n")}
		}
		r.answers[key(e.Path, form)] = e
	}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

func (r *Replay) serve(w http.ResponseWriter, req *http.Request) {
	form, err := requestForm(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	k := key(req.URL.Path, form)
	r.mu.Lock()
	e, ok := r.answers[k]
	if !ok {
		r.unknown = append(r.unknown, k)
	}
	r.mu.Unlock()
	if !ok {
		http.Error(w, "not recorded: "+k, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(e.Body)
}

// Unknown lists the requests that had no recorded answer.
func (r *Replay) Unknown() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.unknown)
}
