//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault matrix: the real ./k6 against a fault-injecting server (faultserver_test.go)
// with one fault per row. Each row states the error kind it must produce and is reconciled
// exactly with the server's ground truth: every turn the server started is exactly one success or
// one failure on the client, a successful turn has exactly the tokens and text the server sent for
// that prompt (so a turn built from another turn's frames fails the row), every failed turn is
// counted once in fw_chat_failed and fw_chat_errors{error_kind} (the kind, not the clock, says
// which timeout ended a turn), and k6 never printed "panic". Rows naming a regression guard against a bug
// that once shipped.

// chatRecord is one turn as the chat driver (testdata/faults/chat.js) logged it.
type chatRecord struct {
	Prompt    string `json:"p"`
	Connect   bool   `json:"connect"` // a session's failed connect
	Dead      bool   `json:"dead"`    // a send on a session no longer connected: no turn counted
	OK        bool   `json:"ok"`
	Kind      string `json:"kind"`
	Msg       string `json:"msg"`
	Tokens    int    `json:"tokens"`
	Chunks    int    `json:"chunks"`
	Text      string `json:"text"`
	CloseCode int    `json:"closeCode"`
}

// consoleLines returns the console.log messages with prefix (k6 runs with --log-format json).
func consoleLines(t *testing.T, stderr, prefix string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var line struct {
			Msg    string `json:"msg"`
			Source string `json:"source"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Source != "console" {
			continue
		}
		if rest, ok := strings.CutPrefix(line.Msg, prefix); ok {
			out = append(out, rest)
		}
	}
	return out
}

// logLines returns k6's own (non-console) log lines at level.
func logLines(stderr, level string) []string {
	var out []string
	for l := range strings.SplitSeq(stderr, "\n") {
		var line struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Source string `json:"source"`
		}
		if json.Unmarshal([]byte(l), &line) == nil && line.Level == level && line.Source != "console" {
			out = append(out, line.Msg)
		}
	}
	return out
}

func requireNoPanic(t *testing.T, run K6Run) {
	t.Helper()
	require.NotContains(t, strings.ToLower(run.Stdout), "panic", "k6 stdout mentions a panic")
	require.NotContains(t, strings.ToLower(run.Stderr), "panic", "k6 stderr mentions a panic")
}

// protocolParam is the JS `protocol` param matching the fault server's framing.
func protocolParam(proto string) any {
	switch proto {
	case "", "featherweight":
		return "featherweight"
	case "unified":
		return "featherweight-unified"
	case "realtime":
		return "openai-realtime"
	case "custom":
		return map[string]any{
			"request":   `{"q":"{{prompt}}","id":"{{messageId}}"}`,
			"typeField": "op", "tokenTypes": []string{"delta"}, "doneTypes": []string{"final"},
			"errorTypes": []string{"fault"}, "textField": "text", "errorField": "reason", "usageField": "stats.tokens",
		}
	default:
		return proto
	}
}

// chatRow is one fault of the chat matrix.
type chatRow struct {
	name     string
	proto    string         // the server's framing; "" = featherweight
	mode     string         // chat.js FW_MODE; "" = oneshot
	turns    int            // turns per iteration (per session); 0 = 1
	iters    int            // iterations; 0 = 2
	vus      int            // VUs sharing the iterations; 0 = 1
	params   map[string]any // chat params besides protocol and keepText
	plan     func(turn int) step
	hs       handshake
	tls      bool
	insecure bool
	url      func(t *testing.T) string // an endpoint without a fault server (refused, DNS)
	// kind is the error kind the row is about: at least one turn fails with it, and turns the
	// server never started fail with it (or with closed on a session the client gave up on).
	// "" means every turn succeeds.
	kind      string
	msg       string // a substring of every message of a kind failure
	closeCode int    // the closeCode of every closed failure
	// keepsSession: the fault does not cost the session: the server starts every planned turn and
	// none fails as closed.
	keepsSession bool
	bound        time.Duration // the k6 run's expected wall-clock time, logged (never asserted); 0 = 20s
	regression   string        // the bug, once shipped, that the row guards against; "" when none
}

// at returns a plan that applies fault to turn n of each connection and succeeds on the others.
func at(n int, fault step) func(int) step {
	return func(turn int) step {
		if turn == n {
			return fault
		}
		return step{tokens: 4}
	}
}

// always returns a plan that applies st to every turn.
func always(st step) func(int) step { return func(int) step { return st } }

func chatRows() []chatRow {
	ms := func(d string) map[string]any { return map[string]any{"timeouts": json.RawMessage(d)} }
	//nolint:prealloc // a literal table, then a few rows per protocol: its final size is not worth computing
	rows := []chatRow{
		{name: "connect refused", url: refusedURL, kind: "connect", msg: "refused"},
		// A name with a 64-octet label is not a valid DNS name: Go's resolver (k6 is built with
		// CGO_ENABLED=0) returns *net.DNSError "no such host" after /etc/hosts and before it
		// builds any query, so nothing leaves the machine; .invalid (RFC 6761) makes doubly sure.
		{name: "DNS failure on the machine", url: func(*testing.T) string {
			return "ws://" + strings.Repeat("a", 64) + ".invalid/api/chat"
		}, kind: "connect", msg: "no such host"},
		{name: "handshake 401", hs: handshake{status: 401}, kind: "handshake", msg: "401"},
		{name: "handshake 403", hs: handshake{status: 403}, kind: "handshake", msg: "403"},
		{name: "handshake 500", hs: handshake{status: 500}, kind: "handshake", msg: "500"},
		{name: "handshake 200 instead of 101", hs: handshake{status: 200}, kind: "handshake", msg: "200"},
		{
			name: "handshake never completes", hs: handshake{hang: true}, params: ms(`{"connect":"400ms"}`),
			kind: "connect", msg: "timeout", bound: 15 * time.Second,
		},
		{name: "TLS unknown authority", tls: true, kind: "connect", msg: "certificate"},
		{name: "TLS insecureSkipTLSVerify", tls: true, insecure: true, mode: "session", turns: 3},
		{name: "server close 1000 mid-stream", plan: always(step{tokens: 3, fault: fClose, code: 1000, want: "closed"}), kind: "closed", closeCode: 1000},
		{name: "server close 1001 mid-stream", plan: always(step{tokens: 3, fault: fClose, code: 1001, want: "closed"}), kind: "closed", closeCode: 1001},
		{name: "server close 1011 mid-stream", plan: always(step{tokens: 3, fault: fClose, code: 1011, want: "closed"}), kind: "closed", closeCode: 1011},
		{name: "connection dropped mid-stream (1006)", plan: always(step{tokens: 3, fault: fDrop, want: "closed"}), kind: "closed", closeCode: 1006},
		{
			name: "server close 1011 mid-session", mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fClose, code: 1011, want: "closed"}), kind: "closed", closeCode: 1011,
		},
		{
			name: "malformed JSON, session", mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fMalformedThenDone, want: "protocol"}), kind: "protocol",
		},
		{
			name: "binary garbage frame, session", mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fBinaryThenDone, want: "protocol"}), kind: "protocol",
		},
		{
			name: "binary non-UTF-8 frame, text session", proto: "text", mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fBinaryThenDone, want: "protocol"}), kind: "protocol",
		},
		{
			name: "oversized frame (maxFrameBytes), session", mode: "session", turns: 3,
			params: map[string]any{"maxFrameBytes": 4096},
			plan:   at(1, step{tokens: 2, fault: fOversize, want: "protocol"}), kind: "protocol", msg: "maxFrameBytes",
		},
		{
			name: "first-token stall", params: ms(`{"firstToken":"300ms"}`),
			plan: always(step{fault: fStall, want: "timeout_first_token"}), kind: "timeout_first_token", bound: 15 * time.Second,
		},
		{
			name: "idle stall", params: ms(`{"idle":"300ms"}`),
			plan: always(step{tokens: 3, fault: fStall, want: "timeout_idle"}), kind: "timeout_idle", bound: 15 * time.Second,
		},
		{
			name: "idle stall, session", mode: "session", turns: 3, params: ms(`{"idle":"300ms"}`),
			plan: at(0, step{tokens: 3, fault: fStall, want: "timeout_idle"}), kind: "timeout_idle", bound: 15 * time.Second,
		},
		{
			name: "keepalives but no token (firstToken)", params: ms(`{"firstToken":"300ms"}`),
			plan: always(step{fault: fKeepalive, want: "timeout_first_token"}), kind: "timeout_first_token", bound: 15 * time.Second,
		},
		{
			name: "keepalives after tokens (idle)", proto: "custom", params: ms(`{"idle":"300ms"}`),
			plan: always(step{tokens: 2, fault: fKeepalive, want: "timeout_idle"}), kind: "timeout_idle", bound: 15 * time.Second,
		},
		{
			name: "reply that never ends (timeouts.total)", params: ms(`{"total":"700ms","idle":"5s"}`),
			plan: always(step{tokens: 1, fault: fForever, want: "timeout_total"}), kind: "timeout_total", bound: 15 * time.Second,
		},
		{name: "ping storm", mode: "session", turns: 3, plan: always(step{tokens: 20, pings: 50})},
		{name: "pong storm", mode: "session", turns: 3, plan: always(step{tokens: 20, pongs: 50})},
		{name: "async one-shots and session turns", mode: "async", turns: 6, iters: 2},
		{name: "async session turns", mode: "sessionAsync", turns: 5, iters: 2},
		// send() right after an awaited sendAsync() must not find the session busy: the promise
		// may not resolve before the turn has released the session.
		{
			name: "send right after an awaited sendAsync", mode: "sessionMixed", turns: 200, iters: 8, vus: 4,
			regression: "sendAsync resolves before it clears the session's busy flag",
		},
	}
	// In-stream errors followed by the reply's terminal frame, followed on the same session by
	// more turns: the failed turn reads on to its terminal frame, and the next turns are built
	// from their own frames only. Not unified: its server never sends end after an error.
	for _, proto := range []string{"featherweight", "openai", "realtime", "text", "custom"} {
		rows = append(rows, chatRow{
			name: "error frame then terminal, " + proto + " session", proto: proto, mode: "session", turns: 4,
			params: ms(`{"idle":"2s"}`), // whichever way a fix resolves the turn, it is bounded
			plan:   at(1, step{tokens: 2, fault: fErrThenDone, want: "server_error"}), kind: "server_error",
			msg: "upstream model failed", regression: "session out of step after an in-stream error",
		})
	}
	// An error frame with nothing after it, followed by more turns on the session. Where the
	// framing's servers send such errors alone (unified chat errors, Featherweight schema errors, a
	// rejected realtime client event) the error ends the turn and the session goes on; elsewhere
	// the client reads on for a terminal frame and gives the session up.
	for _, proto := range []string{"featherweight", "unified", "openai", "realtime", "text", "custom"} {
		rows = append(rows, chatRow{
			name: "error frame alone, " + proto + " session", proto: proto, mode: "session", turns: 4,
			params: ms(`{"idle":"2s"}`), // a client that reads on for a terminal frame waits at most this
			plan:   at(1, step{tokens: 2, fault: fErrOnly, want: "server_error"}), kind: "server_error",
			msg: "upstream model failed", keepsSession: proto == "featherweight" || proto == "unified" || proto == "realtime",
		})
	}
	// Frames each codec must ignore between tokens (another turn's id, keepalives, role-only chunks).
	for _, proto := range []string{"featherweight", "openai", "realtime", "custom"} {
		rows = append(rows, chatRow{
			name: "ignorable frames, " + proto, proto: proto, mode: "session", turns: 3,
			plan: always(step{tokens: 4, noise: true}),
		})
	}
	return rows
}

// TestFaultMatrix runs every chat fault row.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	rows := chatRows()
	require.GreaterOrEqual(t, len(rows), 25)
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			runChatRow(t, row)
		})
	}
}

func runChatRow(t *testing.T, row chatRow) {
	if row.regression != "" {
		t.Logf("guards against: %s", row.regression)
	}
	turns, iters := max(row.turns, 1), row.iters
	if iters == 0 {
		iters = 2
	}
	proto := row.proto
	if proto == "" {
		proto = "featherweight"
	}
	var fs *faultServer
	var url string
	if row.url != nil {
		url = row.url(t)
	} else {
		fs = newFaultServer(t, proto, row.hs, row.tls, row.plan)
		url = fs.URL("/api/chat")
	}
	params := map[string]any{"protocol": protocolParam(proto)}
	maps.Copy(params, row.params)
	pj, err := json.Marshal(params)
	require.NoError(t, err)
	env := map[string]string{
		"FW_URL": url, "FW_MODE": row.mode, "FW_PARAMS": string(pj),
		"FW_TURNS": strconv.Itoa(turns), "FW_ITERS": strconv.Itoa(iters),
	}
	if row.insecure {
		env["FW_INSECURE"] = "1"
	}
	if row.vus > 0 {
		env["FW_VUS"] = strconv.Itoa(row.vus)
	}
	bound := row.bound
	if bound == 0 {
		bound = 20 * time.Second
	}
	start := time.Now()
	run := RunK6(t, "testdata/faults/chat.js", env, "--log-format", "json")
	took := time.Since(start)
	requireNoPanic(t, run)
	require.Equal(t, 0, run.ExitCode, "k6 exit code")
	t.Logf("k6 ran %v (reference: %v); the error kinds, not the clock, show which timeout ended a turn", took.Round(time.Millisecond), bound)
	assert.Empty(t, logLines(run.Stderr, "error"), "no uncaught exception in the script")

	lines := consoleLines(t, run.Stderr, "FWR ")
	recs := make([]chatRecord, 0, len(lines))
	for _, l := range lines {
		var r chatRecord
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		recs = append(recs, r)
	}
	if testing.Verbose() {
		t.Logf("%d records, first %+v, last %+v", len(recs), first(recs), last(recs))
	}
	var truth []serverTurn
	if fs != nil {
		truth = fs.Truth()
	}
	reconcile(t, row, recs, truth, run, turns*iters)
	if fs != nil && row.hs.status != 0 {
		upgrades, rejected, _ := fs.Counts()
		assert.Zero(t, upgrades)
		assert.Equal(t, len(recs), rejected, "every rejected upgrade is one failed turn")
		for _, smp := range run.Where("fw_chat_errors") {
			assert.Equal(t, strconv.Itoa(row.hs.status), smp.Tags["status"], "the status tag is the upgrade's HTTP status")
		}
	}
}

// reconcile checks the client's records and metrics against the server's ground truth.
func reconcile(t *testing.T, row chatRow, recs []chatRecord, truth []serverTurn, run K6Run, planned int) {
	t.Helper()
	byPrompt := map[string]serverTurn{}
	for _, st := range truth {
		_, dup := byPrompt[st.Prompt]
		require.False(t, dup, "the server started prompt %q twice", st.Prompt)
		byPrompt[st.Prompt] = st
	}
	seen := map[string]int{}
	kinds := map[string]int{}
	covered, failed, ok, dead := 0, 0, 0, 0
	var okTokens, allTokens, sentOK int
	for _, r := range recs {
		if r.Dead { // the session was gone before this send: it counts nothing and reaches no server
			covered++
			dead++
			assert.False(t, r.OK, "a send on a dead session %q", r.Prompt)
			assert.Equal(t, "closed", r.Kind, "a send on a dead session %q", r.Prompt)
			assert.NotContains(t, byPrompt, r.Prompt, "the server never saw %q", r.Prompt)
			continue
		}
		allTokens += r.Tokens
		if r.Connect {
			covered += max(row.turns, 1) // a failed session connect ends that iteration's turns
		} else {
			covered++
		}
		if r.OK {
			ok++
			okTokens += r.Tokens
		} else {
			failed++
			kinds[r.Kind]++
			if r.Kind == row.kind && row.msg != "" {
				assert.Contains(t, r.Msg, row.msg, "message of a %s failure", r.Kind)
			}
			if r.Kind == "closed" && row.closeCode != 0 {
				assert.Equal(t, row.closeCode, r.CloseCode, "closeCode of %q", r.Prompt)
			}
		}
		st, started := byPrompt[r.Prompt]
		if !started || r.Connect {
			// The server never saw this turn: only a connect-level failure, or a send on a
			// session the client already gave up, may explain that.
			require.False(t, r.OK, "turn %q succeeded but the server never started it", r.Prompt)
			if row.kind != "connect" && row.kind != "handshake" {
				assert.Equal(t, "closed", r.Kind, "turn %q never reached the server: %s", r.Prompt, r.Msg)
			} else {
				assert.Equal(t, row.kind, r.Kind, "turn %q: %s", r.Prompt, r.Msg)
			}
			continue
		}
		seen[r.Prompt]++
		if st.Want == "" {
			if assert.True(t, r.OK, "turn %q: the server completed it, the client says %s: %s", r.Prompt, r.Kind, r.Msg) {
				sentOK += st.Tokens
				assert.Equal(t, st.Tokens, r.Tokens, "tokens of %q == tokens the server sent", r.Prompt)
				assert.Equal(t, st.Text, r.Text, "turn %q is built from its own frames only", r.Prompt)
			}
		} else {
			assert.False(t, r.OK, "turn %q must fail with %s", r.Prompt, st.Want)
			assert.Equal(t, st.Want, r.Kind, "turn %q: %s", r.Prompt, r.Msg)
			assert.LessOrEqual(t, r.Chunks, st.Tokens, "turn %q received no more token frames than the server sent it", r.Prompt)
		}
	}
	for _, st := range truth {
		assert.Equal(t, 1, seen[st.Prompt], "server turn %q is exactly one client result", st.Prompt)
	}
	assert.Equal(t, planned, covered, "every planned turn ended in one record")
	assert.Equal(t, sentOK, okTokens, "tokens of successful turns == tokens the server sent for them")

	// The metrics say the same as the records.
	assert.EqualValues(t, len(recs)-dead, run.Sum("fw_chat_turns"), "fw_chat_turns")
	assert.Equal(t, len(recs)-dead, run.Count("fw_chat_failed"), "one fw_chat_failed sample per turn")
	assert.EqualValues(t, failed, run.Sum("fw_chat_failed"), "failed turns")
	assert.EqualValues(t, failed, run.Sum("fw_chat_errors"), "one fw_chat_errors per failed turn")
	for k, n := range kinds {
		assert.EqualValues(t, n, run.Sum("fw_chat_errors", "error_kind", k), "fw_chat_errors{error_kind:%s}", k)
	}
	assert.Equal(t, ok, run.Count("fw_chat_duration"), "one duration per successful turn")
	assert.EqualValues(t, allTokens, run.Sum("fw_chat_tokens"), "fw_chat_tokens == result tokens")

	if row.keepsSession {
		assert.Len(t, truth, planned, "the server started every planned turn: the session went on")
		assert.Zero(t, kinds["closed"], "no turn failed as closed")
	}
	if row.kind == "" {
		assert.Zero(t, failed, "every turn succeeds: %v", kinds)
		assert.Positive(t, ok)
	} else {
		assert.Positive(t, kinds[row.kind], "at least one %s failure; got %v", row.kind, kinds)
	}
}

func first[T any](s []T) (v T) {
	if len(s) > 0 {
		v = s[0]
	}
	return v
}

func last[T any](s []T) (v T) {
	if len(s) > 0 {
		v = s[len(s)-1]
	}
	return v
}

// hzRead is one reading as the Hz driver (testdata/faults/hz.js) logged it.
type hzRead struct {
	OK            bool     `json:"ok"`
	Hz            *float64 `json:"hz"`
	Pass          bool     `json:"pass"`
	Source        string   `json:"source"`
	Mode          string   `json:"mode"`
	Reset         bool     `json:"reset"`
	Reason        string   `json:"reason"`
	Msg           string   `json:"msg"`
	HealthzReason string   `json:"healthzReason"`
}

// hzWant is the expected reading of one scrape.
type hzWant struct {
	ok            bool
	reason        string  // failure reason; alternatives separated by '|'
	healthzReason string  // the fallback's reason
	source        string  // "" = not checked
	hz            float64 // hzNull: no value; hzAny: any finite positive value; else the value
	reset         bool
}

const (
	hzNull = -1
	hzAny  = -2
)

// hzRow is one fault of the Hz matrix.
type hzRow struct {
	name       string
	metrics    hzHandler // nil: /metrics answers 404
	healthz    hzHandler // non-nil: the monitor falls back to /healthz
	path       string    // the monitor's url path; "" = /metrics
	opts       map[string]any
	env        map[string]string
	scrapes    int // 0 = 3
	tls        bool
	insecure   bool
	want       func(n int) hzWant
	check      func(t *testing.T, hs *hzServer, run K6Run, reads []hzRead)
	bound      time.Duration // expected wall-clock time, logged (never asserted); 0 = 20s
	regression string        // the bug, once shipped, that the row guards against; "" when none
}

func same(w hzWant) func(int) hzWant { return func(int) hzWant { return w } }

func hzRows() []hzRow {
	failed := func(reason string) func(int) hzWant { return same(hzWant{reason: reason, hz: hzNull}) }
	return []hzRow{
		{
			name: "hz healthy gauge, k6 userAgent", metrics: gauge("100"), env: map[string]string{"FW_UA": "fw-e2e-agent/1.0"},
			want: same(hzWant{ok: true, source: "metrics", hz: 100}),
			check: func(t *testing.T, hs *hzServer, _ K6Run, _ []hzRead) {
				assert.Equal(t, []string{"fw-e2e-agent/1.0"}, hs.UserAgents(), "the Hz monitor sends k6's userAgent")
			}, regression: "Hz client hygiene: userAgent",
		},
		{name: "hz 401", metrics: status(401), want: failed("http_status")},
		{name: "hz 500", metrics: status(500), want: failed("http_status")},
		{
			name: "hz 503 with hz from healthz", metrics: status(503), healthz: healthzJSON(503, 62.5),
			want: same(hzWant{ok: true, source: "healthz", hz: 62.5}),
		},
		{
			name: "hz both endpoints fail", metrics: status(500), healthz: status(500),
			want: same(hzWant{reason: "http_status", healthzReason: "http_status", hz: hzNull}),
		},
		{
			name: "hz timeout", metrics: slow(3 * time.Second), opts: map[string]any{"timeout": "300ms"},
			want: failed("timeout"), bound: 15 * time.Second,
		},
		{name: "hz garbage body", metrics: body("<html>this is { not prometheus\n"), want: failed("parse")},
		{name: "hz huge body", metrics: huge(1 << 20), opts: map[string]any{"maxBodyBytes": 65536}, want: failed("body_too_large")},
		{name: "hz NaN", metrics: gauge("NaN"), want: failed("nan")},
		{name: "hz +Inf", metrics: gauge("+Inf"), want: failed("nan")},
		{
			name: "hz counter reset", metrics: counterSeq(1000, 1100, 50, 150), scrapes: 4,
			opts: map[string]any{"metric": "consciousness_loop_ticks_total", "mode": "counter"},
			want: func(n int) hzWant {
				switch n {
				case 0:
					return hzWant{ok: true, source: "metrics", hz: hzNull} // the baseline
				case 2:
					return hzWant{ok: true, source: "metrics", hz: hzNull, reset: true}
				}
				return hzWant{ok: true, source: "metrics", hz: hzAny}
			},
		},
		{name: "hz missing metric", metrics: body("# TYPE other_metric gauge\nother_metric 1\n"), want: failed("missing_metric")},
		{
			name: "hz redirect loop honours k6 maxRedirects", path: "/loop/0", env: map[string]string{"FW_MAX_REDIRECTS": "3"},
			want: failed("connect|http_status"),
			check: func(t *testing.T, hs *hzServer, _ K6Run, reads []hzRead) {
				assert.LessOrEqual(t, hs.Hits("/loop/"), len(reads)*(3+1), "at most maxRedirects (3) redirects per scrape")
			}, regression: "Hz client hygiene: maxRedirects",
		},
		{name: "hz TLS unknown authority", tls: true, metrics: gauge("100"), want: failed("connect")},
		{
			name: "hz TLS insecureSkipTLSVerify", tls: true, insecure: true, metrics: gauge("100"),
			want: same(hzWant{ok: true, source: "metrics", hz: 100}),
		},
		{
			name: "hz silent fallback is tagged and warned once", healthz: healthzJSON(200, 99.5), scrapes: 4,
			want: same(hzWant{ok: true, source: "healthz", hz: 99.5}),
			check: func(t *testing.T, _ *hzServer, run K6Run, _ []hzRead) {
				for _, s := range run.Where("checks", "type", "hz") {
					assert.Equal(t, "healthz", s.Tags["source"], "checks{type:hz} carry the reading's source")
				}
				var warns int
				for _, m := range logLines(run.Stderr, "warning") {
					if strings.Contains(m, "healthz") {
						warns++
					}
				}
				assert.Equal(t, 1, warns, "one warning (not one per scrape) that readings come from /healthz")
			}, regression: "a silent /healthz fallback",
		},
	}
}

// TestFaultHz runs every Hz fault row and reconciles each reading with the emitted samples.
func TestFaultHz(t *testing.T) {
	t.Parallel()
	for _, row := range hzRows() {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			runHzRow(t, row)
		})
	}
}

func runHzRow(t *testing.T, row hzRow) {
	if row.regression != "" {
		t.Logf("guards against: %s", row.regression)
	}
	scrapes := row.scrapes
	if scrapes == 0 {
		scrapes = 3
	}
	hs := newHzServer(t, row.tls, row.metrics, row.healthz)
	path := row.path
	if path == "" {
		path = "/metrics"
	}
	opts := map[string]any{"url": hs.srv.URL + path}
	if row.healthz != nil {
		opts["healthz"] = hs.srv.URL + "/healthz"
	}
	maps.Copy(opts, row.opts)
	oj, err := json.Marshal(opts)
	require.NoError(t, err)
	env := map[string]string{"FW_HZ_OPTS": string(oj), "FW_SCRAPES": strconv.Itoa(scrapes)}
	if row.insecure {
		env["FW_INSECURE"] = "1"
	}
	maps.Copy(env, row.env)
	bound := row.bound
	if bound == 0 {
		bound = 20 * time.Second
	}
	start := time.Now()
	run := RunK6(t, "testdata/faults/hz.js", env, "--log-format", "json")
	took := time.Since(start)
	requireNoPanic(t, run)
	require.Equal(t, 0, run.ExitCode, "k6 exit code")
	t.Logf("k6 ran %v (reference: %v); the error kinds, not the clock, show which timeout ended a turn", took.Round(time.Millisecond), bound)

	lines := consoleLines(t, run.Stderr, "FWH ")
	reads := make([]hzRead, 0, len(lines))
	for _, l := range lines {
		var r hzRead
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		reads = append(reads, r)
	}
	require.Len(t, reads, scrapes, "one reading per scrape")
	var values, checks, passed, failures int
	reasons := map[string]int{}
	for i, r := range reads {
		w := row.want(i)
		assert.Equal(t, w.ok, r.OK, "scrape %d ok (%s: %s)", i, r.Reason, r.Msg)
		if w.reason == "" {
			assert.Empty(t, r.Reason, "scrape %d: %s", i, r.Msg)
		} else {
			assert.Contains(t, strings.Split(w.reason, "|"), r.Reason, "scrape %d reason: %s", i, r.Msg)
		}
		assert.Equal(t, w.healthzReason, r.HealthzReason, "scrape %d healthz reason", i)
		if w.source != "" {
			assert.Equal(t, w.source, r.Source, "scrape %d source", i)
		}
		assert.Equal(t, w.reset, r.Reset, "scrape %d reset", i)
		switch w.hz {
		case hzNull:
			assert.Nil(t, r.Hz, "scrape %d has no value", i)
		case hzAny:
			if assert.NotNil(t, r.Hz, "scrape %d has a value", i) {
				assert.Positive(t, *r.Hz)
			}
		default:
			if assert.NotNil(t, r.Hz, "scrape %d has a value", i) {
				assert.InDelta(t, w.hz, *r.Hz, 0.01)
			}
		}
		if !r.OK {
			failures++
			reasons[r.Reason]++
		}
		if r.Hz != nil {
			values++
		}
		if r.Hz != nil || !r.OK {
			checks++
		}
		if r.Pass {
			passed++
		}
	}
	// The samples say the same as the readings.
	assert.Equal(t, scrapes, run.Count("fw_hz_scrape_failed"), "one fw_hz_scrape_failed sample per scrape")
	assert.Equal(t, scrapes, run.Count("fw_hz_scrape_duration"), "one duration per scrape")
	assert.EqualValues(t, failures, run.Sum("fw_hz_scrape_failed"), "failed scrapes")
	for reason, n := range reasons {
		assert.EqualValues(t, n, run.Sum("fw_hz_scrape_failed", "error_kind", reason), "fw_hz_scrape_failed{error_kind:%s}", reason)
	}
	hzs := run.Where("fw_loop_hz")
	assert.Len(t, hzs, values, "one fw_loop_hz sample per reading with a value")
	j := 0
	for _, r := range reads {
		if r.Hz != nil && j < len(hzs) {
			assert.InDelta(t, *r.Hz, hzs[j].Value, 1e-9)
			assert.Equal(t, r.Source, hzs[j].Tags["source"], "fw_loop_hz is tagged with its source")
			j++
		}
	}
	assert.Equal(t, checks, run.Count("checks", "type", "hz"), "a check per value and per failure")
	assert.EqualValues(t, passed, run.Sum("checks", "type", "hz"), "passed checks")
	if row.check != nil {
		row.check(t, hs, run, reads)
	}
}

// TestFaultBadArguments: a script bug throws a JS exception that names the argument
// and what is expected; it is never counted as a failed turn, and nullish nested options mean
// "default" for chat as for the Hz monitor.
func TestFaultBadArguments(t *testing.T) {
	t.Parallel()
	t.Log("guards against: script bugs counted as backend failures")
	fs := newFaultServer(t, "featherweight", handshake{}, false, nil)
	run := RunK6(t, "testdata/faults/badargs.js", map[string]string{
		"FW_URL": fs.URL("/api/chat"), "FW_HTTP": fs.srv.URL,
	}, "--log-format", "json")
	requireNoPanic(t, run)
	require.Equal(t, 0, run.ExitCode)
	type outcome struct {
		Case  string `json:"case"`
		Threw bool   `json:"threw"`
		OK    bool   `json:"ok"`
		Msg   string `json:"msg"`
	}
	got := map[string]outcome{}
	for _, l := range consoleLines(t, run.Stderr, "FWA ") {
		var o outcome
		require.NoError(t, json.Unmarshal([]byte(l), &o), l)
		got[o.Case] = o
	}
	cases := []struct {
		name    string
		mention []string // nil: must not throw (and a chat turn must succeed)
		chat    bool     // a chat turn that must succeed
	}{
		{"chat(undefined, p)", []string{"url"}, false},
		{"chat(null, p)", []string{"url"}, false},
		{"chat(http URL, p)", []string{"url", "ws", "wss"}, false},
		{"chat(url) without prompt", []string{"prompt"}, false},
		{"chatAsync(http URL, p)", []string{"url", "ws", "wss"}, false},
		{"connect(undefined)", []string{"url"}, false},
		{"connect(ftp URL)", []string{"url", "ws", "wss"}, false},
		{"session.send() without prompt", []string{"prompt"}, false},
		{"timeouts.total huge integer", []string{"total"}, false},
		{"timeouts.total undefined means default", nil, true},
		{"timeouts.firstToken null means default", nil, true},
		{"HzMonitor ftp URL", []string{"url", "http", "https"}, false},
		{"HzMonitor ws URL", []string{"url", "http", "https"}, false},
		{"HzMonitor timeout undefined means default", nil, false},
	}
	chats := 0
	for _, c := range cases {
		o, ok := got[c.name]
		if !assert.True(t, ok, "case %q ran", c.name) {
			continue
		}
		if c.mention == nil {
			assert.False(t, o.Threw, "%s: must not throw: %s", c.name, o.Msg)
			if c.chat {
				chats++
				assert.True(t, o.OK, "%s: the turn succeeds: %s", c.name, o.Msg)
			}
			continue
		}
		if assert.True(t, o.Threw, "%s: must throw a JS exception (got a result: %s)", c.name, o.Msg) {
			for _, m := range c.mention {
				assert.Contains(t, o.Msg, m, "%s: the exception names %s", c.name, m)
			}
		}
	}
	assert.EqualValues(t, chats, run.Sum("fw_chat_turns"), "only the valid calls count as turns")
	assert.Zero(t, run.Sum("fw_chat_errors", "error_kind", "connect"), "no script bug is a connect failure")
	assert.Len(t, fs.Truth(), chats, "the server saw only the valid turns")
}

// TestFaultSecretsNeverLeak: a password in URL userinfo and an Authorization header
// value, used against failing and healthy chat servers and a failing Hz endpoint, appear nowhere
// in k6's stdout, stderr, summary files or metric samples (tags url and name included).
func TestFaultSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	t.Log("guards against: secrets leak")
	const password, token = "S3cr3t-Pa55w0rd", "tok-Zq9x7-SECRET"
	rejecting := newFaultServer(t, "featherweight", handshake{status: 401}, false, nil)
	healthy := newFaultServer(t, "featherweight", handshake{}, false, nil)
	hz := newHzServer(t, false, status(401), status(500))
	withUser := func(u string) string {
		scheme, rest, _ := strings.Cut(u, "://")
		return scheme + "://fwuser:" + password + "@" + rest
	}
	dir := t.TempDir()
	summary := dir + "/summary.json"
	run := RunK6(t, "testdata/faults/secrets.js", map[string]string{
		"FW_CHAT_REJECT":      rejecting.URL("/api/chat"),
		"FW_CHAT_REJECT_USER": withUser(rejecting.URL("/api/chat")),
		"FW_CHAT_OK":          healthy.URL("/api/chat"),
		"FW_CHAT_OK_USER":     withUser(healthy.URL("/api/chat")),
		"FW_HZ_BASE":          withUser(hz.srv.URL),
		"FW_TOKEN":            token,
		"FW_SUMMARY":          summary,
	}, "--log-format", "json", "--out", "json="+dir+"/samples.json", "--out", "csv="+dir+"/samples.csv",
		"--summary-export", dir+"/export.json")
	requireNoPanic(t, run)
	require.Equal(t, 0, run.ExitCode)
	require.Len(t, consoleLines(t, run.Stderr, "FWS "), 9, "every step ran")
	// gorilla/websocket refuses URLs with userinfo, so the userinfo turn may fail; the header-only
	// turns reach the server.
	require.GreaterOrEqual(t, len(healthy.Truth()), 2, "the healthy server served the header-only turns")
	_, rejected, _ := rejecting.Counts()
	require.GreaterOrEqual(t, rejected, 2, "the header-only upgrades were rejected with 401")
	require.Positive(t, hz.Hits("/metrics"))

	outputs := map[string]string{"stdout": run.Stdout, "stderr": run.Stderr}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		outputs[e.Name()] = string(b)
	}
	require.Contains(t, outputs, "summary.json")
	for name, text := range outputs {
		for _, secret := range []string{password, token} {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("%s contains the secret %q: ...%s...", name, secret, text[max(i-120, 0):min(i+40, len(text))])
			}
		}
	}
}

// TestFaultSessionTagsAtSend: a session's turn carries the group and VU tags current
// when send() is called, not those of the moment of connect().
func TestFaultSessionTagsAtSend(t *testing.T) {
	t.Parallel()
	t.Log("guards against: tags at the wrong time")
	fs := newFaultServer(t, "featherweight", handshake{}, false, nil)
	run := RunK6(t, "testdata/faults/tags.js", map[string]string{"FW_URL": fs.URL("/api/chat")}, "--log-format", "json")
	requireNoPanic(t, run)
	require.Equal(t, 0, run.ExitCode)
	require.Len(t, fs.Truth(), 2)
	for _, s := range run.Where("fw_chat_connecting") {
		assert.Equal(t, "", s.Tags["group"], "connect ran outside any group")
	}
	for _, m := range []string{"fw_chat_turns", "fw_chat_failed", "fw_chat_duration", "fw_chat_tokens"} {
		g := run.Where(m, "turn", "g")
		if assert.Len(t, g, 1, m) {
			assert.Equal(t, "::later", g[0].Tags["group"], "%s of the turn sent inside group('later')", m)
		}
		after := run.Where(m, "turn", "t")
		if assert.Len(t, after, 1, m) {
			assert.Equal(t, "two", after[0].Tags["phase"], "%s of the turn sent after exec.vu.metrics.tags.phase was set", m)
			assert.Equal(t, "", after[0].Tags["group"], "%s of the turn sent outside the group", m)
		}
	}
}
