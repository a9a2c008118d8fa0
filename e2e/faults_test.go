//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault matrix (issue 10): the real ./k6 against a fault-injecting server (faultserver_test.go)
// with one fault per row. Each row states the error kind it must produce and is reconciled
// exactly with the server's ground truth: every turn the server started is exactly one success or
// one failure on the client, a successful turn has exactly the tokens and text the server sent for
// that prompt (so a turn built from another turn's frames fails the row), every failed turn is
// counted once in fw_chat_failed and fw_chat_errors{error_kind}, the run ends within the row's
// bound, and k6 never printed "panic". Rows marked with a defect assert the correct behaviour
// the issue asks for and fail until that defect is fixed.

// chatRecord is one turn as the chat driver (testdata/faults/chat.js) logged it.
type chatRecord struct {
	Prompt    string `json:"p"`
	Connect   bool   `json:"connect"` // a session's failed connect
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
	for _, l := range strings.Split(stderr, "\n") {
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
	msg       string        // a substring of every message of a kind failure
	closeCode int           // the closeCode of every closed failure
	bound     time.Duration // the k6 run's wall-clock bound; 0 = 20s
	defect    string        // the issue 10 defect the row proves, "" when none is known
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
		{name: "handshake never completes", hs: handshake{hang: true}, params: ms(`{"connect":"400ms"}`),
			kind: "connect", msg: "timeout", bound: 15 * time.Second},
		{name: "TLS unknown authority", tls: true, kind: "connect", msg: "certificate"},
		{name: "TLS insecureSkipTLSVerify", tls: true, insecure: true, mode: "session", turns: 3},
		{name: "server close 1000 mid-stream", plan: always(step{tokens: 3, fault: fClose, code: 1000, want: "closed"}), kind: "closed", closeCode: 1000},
		{name: "server close 1001 mid-stream", plan: always(step{tokens: 3, fault: fClose, code: 1001, want: "closed"}), kind: "closed", closeCode: 1001},
		{name: "server close 1011 mid-stream", plan: always(step{tokens: 3, fault: fClose, code: 1011, want: "closed"}), kind: "closed", closeCode: 1011},
		{name: "connection dropped mid-stream (1006)", plan: always(step{tokens: 3, fault: fDrop, want: "closed"}), kind: "closed", closeCode: 1006},
		{name: "server close 1011 mid-session", mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fClose, code: 1011, want: "closed"}), kind: "closed", closeCode: 1011},
		{name: "error frame alone (featherweight schema error), session", mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fErrOnly, want: "server_error"}), kind: "server_error", msg: "upstream model failed"},
		{name: "malformed JSON, session", mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fMalformedThenDone, want: "protocol"}), kind: "protocol"},
		{name: "binary garbage frame, session", mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fBinaryThenDone, want: "protocol"}), kind: "protocol"},
		{name: "binary non-UTF-8 frame, text session", proto: "text", mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fBinaryThenDone, want: "protocol"}), kind: "protocol"},
		{name: "oversized frame (maxFrameBytes), session", mode: "session", turns: 3,
			params: map[string]any{"maxFrameBytes": 4096},
			plan:   at(1, step{tokens: 2, fault: fOversize, want: "protocol"}), kind: "protocol", msg: "maxFrameBytes"},
		{name: "first-token stall", params: ms(`{"firstToken":"300ms"}`),
			plan: always(step{fault: fStall, want: "timeout_first_token"}), kind: "timeout_first_token", bound: 15 * time.Second},
		{name: "idle stall", params: ms(`{"idle":"300ms"}`),
			plan: always(step{tokens: 3, fault: fStall, want: "timeout_idle"}), kind: "timeout_idle", bound: 15 * time.Second},
		{name: "idle stall, session", mode: "session", turns: 3, params: ms(`{"idle":"300ms"}`),
			plan: at(0, step{tokens: 3, fault: fStall, want: "timeout_idle"}), kind: "timeout_idle", bound: 15 * time.Second},
		{name: "reply that never ends (timeouts.total)", params: ms(`{"total":"700ms","idle":"5s"}`),
			plan: always(step{tokens: 1, fault: fForever, want: "timeout_total"}), kind: "timeout_total", bound: 15 * time.Second},
		{name: "ping storm", mode: "session", turns: 3, plan: always(step{tokens: 20, pings: 50})},
		{name: "pong storm", mode: "session", turns: 3, plan: always(step{tokens: 20, pongs: 50})},
		{name: "async one-shots and session turns", mode: "async", turns: 6, iters: 2},
		{name: "async session turns", mode: "sessionAsync", turns: 5, iters: 2},
	}
	// In-stream errors in every framing, followed on the same session by more turns: the failed
	// turn reads on to its terminal frame (or the session is given up), and the next turns are
	// built from their own frames only (defect 1).
	for _, proto := range []string{"featherweight", "unified", "openai", "realtime", "text", "custom"} {
		rows = append(rows, chatRow{
			name: "error frame then terminal, " + proto + " session", proto: proto, mode: "session", turns: 4,
			plan: at(1, step{tokens: 2, fault: fErrThenDone, want: "server_error"}), kind: "server_error",
			msg: "upstream model failed", defect: "1 (session out of step after an in-stream error)",
		})
	}
	// Frames each codec must ignore between tokens (another turn's id, keepalives, role-only chunks).
	for _, proto := range []string{"featherweight", "openai", "realtime", "custom"} {
		rows = append(rows, chatRow{name: "ignorable frames, " + proto, proto: proto, mode: "session", turns: 3,
			plan: always(step{tokens: 4, noise: true})})
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
	if row.defect != "" {
		t.Logf("proves issue 10 defect %s", row.defect)
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
	for k, v := range row.params {
		params[k] = v
	}
	pj, err := json.Marshal(params)
	require.NoError(t, err)
	env := map[string]string{
		"FW_URL": url, "FW_MODE": row.mode, "FW_PARAMS": string(pj),
		"FW_TURNS": strconv.Itoa(turns), "FW_ITERS": strconv.Itoa(iters),
	}
	if row.insecure {
		env["FW_INSECURE"] = "1"
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
	assert.Less(t, took, bound, "time bound")

	var recs []chatRecord
	for _, l := range consoleLines(t, run.Stderr, "FWR ") {
		var r chatRecord
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		recs = append(recs, r)
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
	covered, failed, ok := 0, 0, 0
	var okTokens, allTokens, sentOK int
	for _, r := range recs {
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
		}
	}
	for _, st := range truth {
		assert.Equal(t, 1, seen[st.Prompt], "server turn %q is exactly one client result", st.Prompt)
	}
	assert.Equal(t, planned, covered, "every planned turn ended in one record")
	assert.Equal(t, sentOK, okTokens, "tokens of successful turns == tokens the server sent for them")

	// The metrics say the same as the records.
	assert.EqualValues(t, len(recs), run.Sum("fw_chat_turns"), "fw_chat_turns")
	assert.Equal(t, len(recs), run.Count("fw_chat_failed"), "one fw_chat_failed sample per turn")
	assert.EqualValues(t, failed, run.Sum("fw_chat_failed"), "failed turns")
	assert.EqualValues(t, failed, run.Sum("fw_chat_errors"), "one fw_chat_errors per failed turn")
	for k, n := range kinds {
		assert.EqualValues(t, n, run.Sum("fw_chat_errors", "error_kind", k), "fw_chat_errors{error_kind:%s}", k)
	}
	assert.Equal(t, ok, run.Count("fw_chat_duration"), "one duration per successful turn")
	assert.EqualValues(t, allTokens, run.Sum("fw_chat_tokens"), "fw_chat_tokens == result tokens")

	if row.kind == "" {
		assert.Zero(t, failed, "every turn succeeds: %v", kinds)
		assert.Positive(t, ok)
	} else {
		assert.Positive(t, kinds[row.kind], "at least one %s failure; got %v", row.kind, kinds)
	}
}
