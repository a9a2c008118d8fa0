// Shared by the bench-sidebyside workloads: the run's figures as one JSON object (the ClientSummary of
// fwbench/cmd/fwplain), written to $BENCH_SUMMARY by handleSummary.

function quantiles(m) {
  if (!m || !m.values || !m.values.count) return { count: 0, p50: 0, p99: 0 };
  return { count: m.values.count, p50: m.values.med, p99: m.values['p(99)'] };
}

function count(m) {
  return m && m.values ? m.values.count || 0 : 0;
}

/**
 * @param {object} data k6's handleSummary data
 * @param {object} names the metric names: turns (completed), failed, tokens, ttft, itl; or
 *   turnsAttempted + failedRate for the native client's fw_chat_turns / fw_chat_failed pair
 */
export function benchSummary(client, data, names) {
  const m = data.metrics;
  let turns;
  let failed;
  if (names.failedRate) {
    failed = m[names.failedRate] ? m[names.failedRate].values.passes : 0;
    turns = count(m[names.turnsAttempted]) - failed;
  } else {
    failed = count(m[names.failed]);
    turns = count(m[names.turns]);
  }
  const summary = {
    client,
    turns,
    failed,
    tokens: count(m[names.tokens]),
    ttft_ms: quantiles(m[names.ttft]),
    itl_ms: quantiles(m[names.itl]),
  };
  if (m.bench_session_busy) summary.session_busy = count(m.bench_session_busy);
  const json = JSON.stringify(summary, null, 2) + '\n';
  const out = { stdout: json };
  if (__ENV.BENCH_SUMMARY) out[__ENV.BENCH_SUMMARY] = json;
  return out;
}

/** benchSummary of the native client's metrics (native.js and native-oneshot.js). */
export function nativeSummary(data) {
  return benchSummary('native', data, {
    turnsAttempted: 'fw_chat_turns',
    failedRate: 'fw_chat_failed',
    tokens: 'fw_chat_tokens',
    ttft: 'fw_chat_ttft',
    itl: 'fw_chat_itl',
  });
}

/** The options shared by both k6 workloads: N users turning back to back for DURATION. */
export function benchOptions() {
  return {
    scenarios: {
      chat: {
        executor: 'constant-vus',
        vus: Number(__ENV.BENCH_USERS || 10),
        duration: __ENV.BENCH_DURATION || '10s',
        gracefulStop: '30s',
      },
    },
    summaryTrendStats: ['med', 'p(99)', 'count'],
  };
}

export const URL = __ENV.BENCH_URL || 'ws://127.0.0.1:8080/api/chat';
export const PROMPT = __ENV.BENCH_PROMPT || 'How is the loop doing?';
// When set, every completed turn logs "turn <messageId> <ttft_ms>" (the bench script sends the
// console to a file and matches the turns with fwsim's own record).
export const LOG_TURNS = !!__ENV.BENCH_LOG_TURNS;

function durationMs(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s);
  if (!m) throw new Error(`BENCH_DURATION ${s}: want e.g. 500ms, 30s, 2m`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2]];
}

// How long each user starts new turns; the scenario runs as long, and a turn in flight then ends
// within the scenario's gracefulStop.
export const DURATION_MS = durationMs(__ENV.BENCH_DURATION || '10s');
