package verdict

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// maxAnswerBytes caps one answer of the Prometheus HTTP API: a run's answers are kilobytes.
const maxAnswerBytes = 32 << 20

// promAPI calls the two endpoints of the Prometheus HTTP API (v1) a verdict needs: instant queries
// and a label's values. It stands in for client_golang's API client, which would add its
// dependencies (and their size) to every k6 built with the extension; the answers' values are
// decoded by prometheus/common/model, which the extension already uses.
type promAPI struct {
	base   *url.URL
	client *http.Client
}

// APIError is an error answer of the Prometheus HTTP API (a query it rejected).
type APIError struct {
	Status    int
	ErrorType string
	Message   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.ErrorType, e.Status, e.Message)
}

func newPromAPI(base string, rt http.RoundTripper) (*promAPI, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &promAPI{base: u, client: &http.Client{Transport: rt}}, nil
}

// answer is the envelope of every answer.
type answer struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
}

// call sends form to the endpoint, as a POST body or (method GET) a query string, and returns the
// answer's data. Prometheus takes instant queries by POST (no URL length limit for long PromQL) and
// a label's values by GET only (2.42 answers a POST with 405).
func (a *promAPI) call(ctx context.Context, method, endpoint string, form url.Values) (json.RawMessage, error) {
	u := *a.base
	u.Path += endpoint
	var reqBody io.Reader
	if method == http.MethodGet {
		u.RawQuery = form.Encode()
	} else {
		reqBody = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reqBody)
	if err != nil {
		return nil, err
	}
	if reqBody != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxAnswerBytes {
		return nil, fmt.Errorf("%s: answer larger than %d MiB", endpoint, maxAnswerBytes>>20)
	}
	var ans answer
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("%s: HTTP %d, not an API answer: %w", endpoint, resp.StatusCode, err)
	}
	if ans.Status != "success" {
		return nil, &APIError{Status: resp.StatusCode, ErrorType: ans.ErrorType, Message: ans.Error}
	}
	return ans.Data, nil
}

// Query runs an instant query at t: a vector, a matrix (a range selector), a scalar or a string.
func (a *promAPI) Query(ctx context.Context, q string, t time.Time) (model.Value, error) {
	data, err := a.call(ctx, http.MethodPost, "/api/v1/query", url.Values{"query": {q}, "time": {formatTime(t)}})
	if err != nil {
		return nil, err
	}
	var res struct {
		Type   model.ValueType `json:"resultType"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("query answer: %w", err)
	}
	var v model.Value
	switch res.Type {
	case model.ValVector:
		v = &model.Vector{}
	case model.ValMatrix:
		v = &model.Matrix{}
	case model.ValScalar:
		v = &model.Scalar{}
	case model.ValString:
		v = &model.String{}
	default:
		return nil, fmt.Errorf("query answer: unknown result type %q", res.Type)
	}
	if err := json.Unmarshal(res.Result, v); err != nil {
		return nil, fmt.Errorf("query answer (%s): %w", res.Type, err)
	}
	switch x := v.(type) {
	case *model.Vector:
		return *x, nil
	case *model.Matrix:
		return *x, nil
	}
	return v, nil
}

// LabelValues lists the values of label among the series matching matches between start and end.
func (a *promAPI) LabelValues(ctx context.Context, label string, matches []string, start, end time.Time) (
	model.LabelValues, error,
) {
	form := url.Values{"match[]": matches, "start": {formatTime(start)}, "end": {formatTime(end)}}
	data, err := a.call(ctx, http.MethodGet, "/api/v1/label/"+url.PathEscape(label)+"/values", form)
	if err != nil {
		return nil, err
	}
	var vals model.LabelValues
	if err := json.Unmarshal(data, &vals); err != nil {
		return nil, fmt.Errorf("label values answer: %w", err)
	}
	return vals, nil
}

// formatTime is the API's time: Unix seconds with a fraction.
func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', -1, 64)
}

// isAPIError reports whether err is an error answer of the API (rather than no answer).
func isAPIError(err error) bool {
	_, ok := errors.AsType[*APIError](err)
	return ok
}
