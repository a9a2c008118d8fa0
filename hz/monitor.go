package hz

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/featherweight/xk6-featherweight/failure"
)

// Sources of a Reading.
const (
	SourceMetrics = "metrics"
	SourceHealthz = "healthz"
)

// AcceptHeader asks for the Prometheus text format 0.0.4. (The OpenMetrics decoder costs far more
// per line, and the text parser is what this package uses.)
const AcceptHeader = "text/plain; version=0.0.4"

// drainLimit bounds how much of an unread body is discarded to keep its connection reusable.
const drainLimit = 64 << 10

// Reading is the result of one Scrape.
type Reading struct {
	// OK is true when the scrape succeeded: a value was read, or a counter baseline was taken.
	OK bool
	// Hz is the frequency; meaningful only when HasHz.
	Hz float64
	// HasHz is false on failure and when a cumulative series gave no rate this time (the first
	// scrape, a counter reset, no time elapsed).
	HasHz bool
	// Pass is HasHz && Hz >= Config.Min; for PerSeries, every series passes.
	Pass bool
	// Reset is true when a counter or histogram count went down and its interval was skipped.
	Reset bool
	// Source is SourceMetrics, SourceHealthz or SourcePrometheus. On failure it is the endpoint whose failure is
	// Err's Kind: SourceMetrics when a /metrics URL is set (its healthz fallback failing too
	// is in Err's Healthz field), SourceHealthz when only a healthz URL is.
	Source string
	// Fallback is set when the value came from the healthz endpoint because the /metrics scrape
	// failed; nil otherwise.
	Fallback *Fallback
	// Mode is the mode the /metrics family was read in: gauge, counter or histogram ("" for
	// healthz and for failures before the family was found).
	Mode Mode
	// Series is how many series matched (1 for healthz).
	Series int
	// PerSeries holds one value a series of a Prometheus query result when Config.Aggregate is
	// empty; Hz and HasHz are then unset. nil in every other case.
	PerSeries []SeriesHz
	// Err is a *ScrapeError when !OK.
	Err error
	// Time is when the scrape started; Duration how long it took, fallback included.
	Time     time.Time
	Duration time.Duration
}

// DialFunc dials a connection, like net.Dialer.DialContext (k6: state.Dialer.DialContext).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// NewHTTPClient returns the client a Monitor needs: keep-alive connections through dial (nil: a
// net.Dialer) with tlsConfig (nil: Go's defaults; it is cloned). Its Timeout is zero: the
// Monitor bounds each request with Config.Timeout through its context.
func NewHTTPClient(dial DialFunc, tlsConfig *tls.Config) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	if tlsConfig != nil {
		tlsConfig = tlsConfig.Clone()
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         dial,
			TLSClientConfig:     tlsConfig,
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        4,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
		},
		// Follow redirects as usual; never share cookies.
	}
}

// Monitor scrapes one endpoint. Create it with New; see the package documentation for the modes,
// the fallback and concurrency.
type Monitor struct {
	cfg    Config
	client *http.Client
	// shown are the URLs as errors print them (userinfo masked); metricsPath names the /metrics
	// endpoint in Fallback notes.
	shownMetrics, shownHealthz, metricsPath string
	// queryURL is the Prometheus instant-query URL; shownPrometheus the server's URL as errors
	// print it.
	queryURL, shownPrometheus string

	mu           sync.Mutex // serialises Scrape: guards rates, buf and redirectStop
	rates        rates
	buf          bytes.Buffer
	redirectStop string // why the last request's redirect was not followed ("" if none)
}

// New validates cfg, applies its defaults and returns a Monitor that sends its requests with
// client (nil: NewHTTPClient(nil, nil)). The Monitor uses a copy of client whose CheckRedirect
// applies cfg.MaxRedirects and refuses https→http; client itself is not modified.
func New(cfg Config, client *http.Client) (*Monitor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = NewHTTPClient(nil, nil)
	}
	m := &Monitor{
		cfg: cfg, shownMetrics: RedactURL(cfg.URL), shownHealthz: RedactURL(cfg.HealthzURL),
		metricsPath: "/metrics",
	}
	if pu, err := url.Parse(cfg.URL); err == nil && pu.Path != "" {
		m.metricsPath = pu.Path
	}
	if cfg.PrometheusURL != "" {
		if m.queryURL, err = QueryURL(cfg.PrometheusURL, cfg.Query, cfg.Timeout); err != nil {
			return nil, configErr(fieldPrometheusURL, "%v", err)
		}
		m.shownPrometheus = RedactURL(m.queryURL)
	}
	c := *client
	c.CheckRedirect = m.checkRedirect
	m.client = &c
	return m, nil
}

// checkRedirect follows at most cfg.MaxRedirects redirects and never one from https to http; a
// redirect it does not follow leaves the 3xx response as the result (as k6/http does), and
// redirectStop says why. It runs inside Scrape, under m.mu.
func (m *Monitor) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > 0 && via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https" {
		m.redirectStop = fmt.Sprintf("refused to follow a redirect from https to %s (%s)",
			req.URL.Scheme, RedactURL(req.URL.String()))
		return http.ErrUseLastResponse
	}
	if len(via) > m.cfg.MaxRedirects {
		m.redirectStop = fmt.Sprintf("stopped after %d redirects (maxRedirects %d)", len(via)-1, m.cfg.MaxRedirects)
		return http.ErrUseLastResponse
	}
	return nil
}

// Config returns the Monitor's configuration, defaults applied.
func (m *Monitor) Config() Config { return m.cfg }

// Close closes the idle connections of the client's transport. When that transport is shared
// (k6's per-VU transport), this closes every idle connection it holds: give the Monitor a
// transport of its own when that matters (the k6 binding does).
func (m *Monitor) Close() { m.client.CloseIdleConnections() }

// Scrape reads the frequency once. It never panics and always returns a Reading; a failure is
// described by Reading.Err (a *ScrapeError). ctx bounds the whole scrape (k6: the VU context).
func (m *Monitor) Scrape(ctx context.Context) Reading {
	m.mu.Lock()
	defer m.mu.Unlock()

	start := time.Now()
	var r Reading
	switch {
	case m.cfg.PrometheusURL != "":
		r = m.scrapePrometheus(ctx)
	case m.cfg.URL != "":
		r = m.scrapeWithFallback(ctx)
	default:
		r = m.scrapeHealthz(ctx)
	}
	r.Time = start
	r.Duration = time.Since(start)
	r.Pass = r.OK && r.HasHz && r.Hz >= m.cfg.Min
	if r.OK && r.PerSeries != nil {
		r.Pass = !slices.ContainsFunc(r.PerSeries, func(s SeriesHz) bool { return !s.Pass })
	}
	return r
}

// scrapeWithFallback scrapes /metrics and, when that fails (but was not canceled) and a /healthz
// URL is set, reads /healthz instead; a failed fallback is kept in the error's Healthz.
func (m *Monitor) scrapeWithFallback(ctx context.Context) Reading {
	r := m.scrapeMetrics(ctx)
	serr := asScrapeError(r.Err)
	if serr == nil || m.cfg.HealthzURL == "" || serr.Kind == failure.KindCanceled {
		return r
	}
	hr := m.scrapeHealthz(ctx)
	if hr.OK {
		hr.Fallback = &Fallback{Err: serr, Note: fallbackNote(m.metricsPath, serr)}
		return hr
	}
	r.Err = &ScrapeError{Kind: serr.Kind, Err: serr.Err, Status: serr.Status, Healthz: asScrapeError(hr.Err)}
	return r
}

func asScrapeError(err error) *ScrapeError {
	if se, ok := errors.AsType[*ScrapeError](err); ok {
		return se
	}
	if err != nil {
		return &ScrapeError{Kind: failure.KindRead, Err: err}
	}
	return nil
}

func (m *Monitor) scrapeMetrics(ctx context.Context) Reading {
	r := Reading{Source: SourceMetrics}
	status, at, serr := m.fetch(ctx, m.cfg.URL, AcceptHeader, func(status int) bool { return status/100 == 2 })
	if serr == nil && status/100 != 2 {
		serr = m.statusErr(m.shownMetrics, status, "")
	}
	if serr != nil {
		r.Err = serr
		return r
	}
	ex, serr := extract(bytes.NewReader(m.buf.Bytes()), m.cfg)
	if serr != nil {
		r.Err = serr
		return r
	}
	r.Mode, r.Series = ex.mode, len(ex.series)
	if ex.mode == ModeGauge {
		vals := make([]float64, len(ex.series))
		for i, s := range ex.series {
			vals[i] = s.value
		}
		r.Hz, r.HasHz = aggregate(vals, m.cfg.Aggregate), true
	} else {
		res := m.rates.observe(ex, at)
		r.Reset = res.reset
		if res.hz != nil {
			r.Hz, r.HasHz = aggregate(res.hz, m.cfg.Aggregate), true
		}
		if r.HasHz && (math.IsNaN(r.Hz) || math.IsInf(r.Hz, 0)) {
			r.Hz, r.HasHz = 0, false
			r.Err = scrapeErr(failure.KindNaN, "computed rate of %s is not finite", ex.family)
			return r
		}
		m.rates = res.next
	}
	if math.IsNaN(r.Hz) || math.IsInf(r.Hz, 0) {
		r.Hz, r.HasHz = 0, false
		r.Err = scrapeErr(failure.KindNaN, "aggregate (%s) of %s is not finite", m.cfg.Aggregate, ex.family)
		return r
	}
	r.OK = true
	return r
}

// healthzBody is the part of the /healthz JSON the monitor reads.
type healthzBody struct {
	Hz *float64 `json:"hz"`
}

func (m *Monitor) scrapeHealthz(ctx context.Context) Reading {
	r := Reading{Source: SourceHealthz}
	usable := func(status int) bool { return status/100 == 2 || status == http.StatusServiceUnavailable }
	status, _, serr := m.fetch(ctx, m.cfg.HealthzURL, AcceptHeader, usable)
	if serr == nil && !usable(status) {
		serr = m.statusErr(m.shownHealthz, status, "")
	}
	if serr != nil {
		r.Err = serr
		return r
	}
	var body healthzBody
	err := json.Unmarshal(m.buf.Bytes(), &body)
	if err == nil && body.Hz == nil {
		err = errors.New(`no numeric "hz" field`)
	}
	if err != nil {
		if status == http.StatusServiceUnavailable {
			r.Err = m.statusErr(m.shownHealthz, status, fmt.Sprintf(" (body without hz: %v)", err))
		} else {
			r.Err = &ScrapeError{Kind: failure.KindHealthzParse, Err: err}
		}
		return r
	}
	r.OK, r.Hz, r.HasHz, r.Series = true, *body.Hz, true, 1
	return r
}

// fetch GETs url, asking for accept, into m.buf (when readBody(status)) and returns the status
// and the time the response headers arrived.
func (m *Monitor) fetch(
	ctx context.Context, url, accept string, readBody func(status int) bool,
) (int, time.Time, *ScrapeError) {
	if ctx.Err() != nil {
		return 0, time.Time{}, &ScrapeError{Kind: failure.KindCanceled, Err: ctx.Err()}
	}
	rctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, time.Time{}, &ScrapeError{Kind: failure.KindInvalidURL, Err: redactErr(err)}
	}
	for k, v := range m.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", m.cfg.UserAgent) // "" sends none
	m.redirectStop = ""
	resp, err := m.client.Do(req)
	if err != nil {
		return 0, time.Time{}, classify(ctx, redactErr(err), failure.KindConnect, m.cfg.Timeout)
	}
	at := time.Now()
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		_ = resp.Body.Close()
	}()
	m.buf.Reset()
	if !readBody(resp.StatusCode) {
		return resp.StatusCode, at, nil
	}
	n, err := m.buf.ReadFrom(io.LimitReader(resp.Body, m.cfg.MaxBodyBytes+1))
	if err != nil {
		return 0, at, classify(ctx, err, failure.KindRead, m.cfg.Timeout)
	}
	if n > m.cfg.MaxBodyBytes {
		m.buf.Reset()
		return 0, at, scrapeErr(failure.KindBodyTooLarge, "GET %s: body larger than %d bytes",
			RedactURL(url), m.cfg.MaxBodyBytes)
	}
	return resp.StatusCode, at, nil
}

// classify maps a transport error: the caller's context ending → canceled; our deadline or a
// network timeout → timeout; anything else → fallback.
func classify(parent context.Context, err error, fallback failure.Kind, timeout time.Duration) *ScrapeError {
	if parent.Err() != nil {
		return &ScrapeError{Kind: failure.KindCanceled, Err: err}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &ScrapeError{Kind: failure.KindTimeout, Err: fmt.Errorf("no complete response within %s: %w", timeout, err)}
	}
	if errors.Is(err, context.Canceled) {
		return &ScrapeError{Kind: failure.KindCanceled, Err: err}
	}
	return &ScrapeError{Kind: fallback, Err: err}
}

// statusErr is the http_status failure of a GET of shown (a redacted URL); a redirect that was
// not followed says why.
func (m *Monitor) statusErr(shown string, status int, detail string) *ScrapeError {
	if status/100 == 3 && m.redirectStop != "" {
		detail += ": " + m.redirectStop
	}
	e := scrapeErr(failure.KindHTTPStatus, "GET %s: %s%s", shown, statusText(status), detail)
	e.Status = status
	return e
}

func statusText(code int) string {
	return fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))
}
