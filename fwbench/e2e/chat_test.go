//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chatScript runs every built-in protocol once per iteration against fwsim's endpoints, tagging
// each turn with its variant, so one k6 run covers every framing for one fault knob.
const chatScript = `
import fw from 'k6/x/featherweight';

const BASE = __ENV.FW_WS;
const TIMEOUTS = JSON.parse(__ENV.FW_TIMEOUTS || '{}');
const VARIANTS = [
  ['featherweight', '/api/chat', 'featherweight'],
  ['unified', '/api/chat/unified', 'featherweight-unified'],
  ['openai', '/v1/chat/stream', 'openai'],
  ['openai-finish', '/v1/chat/stream', { name: 'openai', doneOn: 'finish_reason' }],
  ['realtime', '/v1/realtime', 'openai-realtime'],
  ['text', '/ws/text', 'text'],
];

export const options = {
  scenarios: {
    chat: {
      executor: 'shared-iterations', vus: 2, iterations: Number(__ENV.FW_ITERATIONS || 4),
      maxDuration: __ENV.FW_MAX_DURATION || '2m', gracefulStop: __ENV.FW_GRACEFUL_STOP || '30s',
    },
  },
};

export default function () {
  for (const [variant, path, protocol] of VARIANTS) {
    const res = fw.chat(BASE + path, 'hello from the e2e test', { protocol, timeouts: TIMEOUTS, tags: { variant } });
    if (!res.ok && __ENV.FW_WANT && res.error.kind !== __ENV.FW_WANT) {
      console.error(variant + ': unexpected ' + res.error.kind + ': ' + res.error.message);
    }
  }
}
`

var chatVariants = []string{"featherweight", "unified", "openai", "openai-finish", "realtime", "text"}

func writeChatScript(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chat.js")
	require.NoError(t, os.WriteFile(p, []byte(chatScript), 0o600))
	return p
}

// TestChatFaults runs every protocol against every fwsim fault knob and reconciles the client's
// failed turns and error kinds with fwsim's ground truth.
func TestChatFaults(t *testing.T) {
	t.Parallel()
	const iterations = 4
	turns := float64(iterations * len(chatVariants))
	cases := []struct {
		name     string
		flags    []string
		timeouts string
		kind     string // expected error_kind of every turn; "" = all succeed
		cause    string // fwsim failed_by_cause key that must equal the failed turns
	}{
		{"healthy", nil, "", "", ""},
		{"error frames", []string{"-error-rate", "1"}, "", "server_error", "error_frame"},
		{"malformed frames", []string{"-malformed-rate", "1"}, "", "protocol", "malformed"},
		{"cut connections", []string{"-cut-rate", "1"}, "", "closed", "cut"},
		{"rejected upgrades", []string{"-reject-rate", "1", "-reject-status", "503"}, "", "handshake", ""},
		{"stalls", []string{"-stall-rate", "1", "-stall", "3s"}, `{"idle":"300ms"}`, "timeout_idle", "stall"},
		{"slow first token", []string{"-ttft", "3s"}, `{"firstToken":"300ms"}`, "timeout_first_token", ""},
		{"slow stream", []string{"-itl", "100ms"}, `{"total":"500ms"}`, "timeout_total", ""},
	}
	script := writeChatScript(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := StartFwsim(t, append([]string{"-tokens", "8", "-ttft", "20ms", "-itl", "5ms"}, tc.flags...)...)
			run := RunK6(t, script, map[string]string{
				"FW_WS": f.WS, "FW_TIMEOUTS": tc.timeouts, "FW_WANT": tc.kind, "FW_ITERATIONS": "4",
			})
			require.Equal(t, 0, run.ExitCode)
			require.NotContains(t, run.Stderr, "unexpected", "every failure has the expected kind")
			require.Equal(t, turns, run.Sum("fw_chat_turns"))
			require.Equal(t, int(turns), run.Count("fw_chat_failed"), "one fw_chat_failed sample per turn")
			for _, v := range chatVariants {
				require.EqualValues(t, iterations, run.Sum("fw_chat_turns", "variant", v), v)
			}
			tr := f.Truth(t)
			if tc.kind == "" {
				require.Zero(t, run.Sum("fw_chat_failed"))
				require.Zero(t, run.Count("fw_chat_errors"))
				require.Equal(t, int(turns), run.Count("fw_chat_duration"))
				require.EqualValues(t, turns, tr.Turns.Started, "client turns == server turns")
				require.Zero(t, tr.Turns.Failed)
				// doneOn finish_reason may close before fwsim's trailing usage/[DONE]: fwsim then
				// records that turn as aborted, not completed.
				require.GreaterOrEqual(t, tr.Turns.Completed, uint64(turns)-iterations)
				require.EqualValues(t, tr.TokensSent, run.Sum("fw_chat_tokens"), "client tokens == server tokens")
				require.EqualValues(t, 8*iterations, run.Sum("fw_chat_tokens", "protocol", "openai-realtime"))
				require.Equal(t, 7*int(turns), run.Count("fw_chat_itl"), "one ITL per gap")
				require.InDelta(t, 20, run.Mean("fw_chat_ttft"), 15, "TTFT tracks fwsim's -ttft")
				require.InDelta(t, 5, run.Mean("fw_chat_itl"), 4, "ITL tracks fwsim's -itl")
				return
			}
			require.Equal(t, turns, run.Sum("fw_chat_failed"), "every turn failed")
			require.Equal(t, turns, run.Sum("fw_chat_errors", "error_kind", tc.kind), "error_kind %s", tc.kind)
			require.Equal(t, turns, run.Sum("fw_chat_errors"), "no other error kind")
			require.Zero(t, run.Count("fw_chat_duration"), "failed turns have no duration")
			require.Zero(t, run.Sum("fw_chat_goodput"))
			if tc.cause != "" {
				// fwsim records a turn just after its last frame is written: the client may have
				// seen that frame (and k6 may have exited) a moment before.
				require.Eventually(t, func() bool {
					tr = f.Truth(t)
					return tr.Turns.FailedByCause[tc.cause] == uint64(turns)
				}, 5*time.Second, 20*time.Millisecond, "fwsim %s == client %s", tc.cause, tc.kind)
			}
			switch tc.kind {
			case "handshake":
				require.EqualValues(t, turns, tr.Connections.Rejected, "rejected upgrades == handshake errors")
				require.Zero(t, tr.Turns.Started)
			case "server_error", "closed":
				require.EqualValues(t, turns, tr.Turns.Failed, "server failed turns == client failed turns")
			}
		})
	}
}

// TestChatGracefulStopCancels checks that k6's gracefulStop cancels blocked streams: with a 30 s
// first-token delay, a 1 s maxDuration and a 1 s gracefulStop, no turn completes and none is
// blamed on the server.
func TestChatGracefulStopCancels(t *testing.T) {
	t.Parallel()
	f := StartFwsim(t, "-ttft", "30s")
	run := RunK6(t, writeChatScript(t), map[string]string{
		"FW_WS": f.WS, "FW_ITERATIONS": "2", "FW_MAX_DURATION": "1s", "FW_GRACEFUL_STOP": "1s",
	})
	// Had gracefulStop not cancelled the turns, they would have completed after fwsim's 30 s
	// first-token delay: fw_chat_duration would have samples.
	for _, kind := range []string{"server_error", "closed", "protocol", "timeout_first_token", "timeout_idle", "timeout_total"} {
		require.Zero(t, run.Sum("fw_chat_errors", "error_kind", kind), kind)
	}
	require.Zero(t, run.Count("fw_chat_duration"))
	require.GreaterOrEqual(t, f.Truth(t).Turns.Started, uint64(2), "both VUs were blocked in a turn")
}

// TestChatExamplesRun keeps the chat examples runnable against fwsim: each passes its thresholds.
func TestChatExamplesRun(t *testing.T) {
	t.Parallel()
	f := StartFwsim(t, "-tokens", "8", "-ttft", "20ms", "-itl", "5ms")
	env := map[string]string{"FW_URL": f.WS + "/api/chat", "FW_BASE": f.WS}
	for _, ex := range []string{"chat-oneshot.js", "chat-session.js", "chat-async-arrival.js"} {
		run := RunK6(t, "../../examples/"+ex, env, "--duration", "3s", "--vus", "2")
		require.Equal(t, 0, run.ExitCode, ex)
		require.Positive(t, run.Sum("fw_chat_turns"), ex)
		require.Zero(t, run.Sum("fw_chat_failed"), ex)
	}
	openai := map[string]string{"FW_BASE": f.WS}
	run := RunK6(t, "../../examples/chat-openai.js", openai, "--iterations", "4")
	require.Equal(t, 0, run.ExitCode)
	require.EqualValues(t, 4, run.Sum("fw_chat_turns", "protocol", "openai"))
	require.EqualValues(t, 4, run.Sum("fw_chat_turns", "protocol", "openai-realtime"))
	require.Equal(t, run.Sum("fw_chat_tokens", "protocol", "openai"), float64(4*8), "usage tokens")
}
