// The bundled Featherweight scenario: 1,000 virtual users for 5 minutes streaming chat over WebSocket
// on /api/chat, while one dedicated VU reads the backend's 100 Hz loop from /metrics once a second.
//
// Pass/fail (k6 exits 99 when any fails):
//   error_rate        rate<0.01    one sample per chat turn, 1 = the turn failed (any error kind)
//   fw_loop_hz        avg>95       the loop frequency read from /metrics (or /healthz)
//   checks{type:hz}   rate>=FW_HZ_CHECK_RATE (0.9): share of Hz readings >= FW_HZ_MIN (a failed scrape fails)
//   fw_chat_ttft      p(95)<FW_TTFT_P95 ms
//   chat_turns_ok     count>0      no vacuous pass: a run in which no turn succeeded fails
//   fw_chat_goodput   rate>=FW_GOODPUT_MIN, only when it is set: the share of turns that succeeded and
//                     met the slo (FW_SLO_TTFT, FW_SLO_TPOT in ms; with neither, goodput = success)
// The literal "checks{type:hz}.avg>95" is not a valid k6 threshold (`checks` is a Rate; k6 exits 104),
// so the requirement is expressed as `fw_loop_hz: avg>95` plus the `checks{type:hz}` rate above.
// An empty Trend fails its threshold in k6 1.8, so a run with no Hz reading fails too.
//
// Knobs (environment): FW_CHAT_URL, FW_METRICS_URL, FW_HEALTHZ_URL, FW_PROTOCOL, FW_VUS, FW_RAMP,
// FW_HOLD, FW_RAMP_DOWN, FW_THINK (seconds, mean), FW_TURNS (max turns per session), FW_TTFT_P95 (ms),
// FW_HZ_MIN, FW_HZ_CHECK_RATE, FW_HZ_SCRAPERS, FW_HZ_HOLD_ONLY (1 = read Hz during the hold only),
// FW_PROFILE (full | smoke | soak), FW_TRENDS (samples | sketch), FW_CHECKPOINT, FW_OUT_DIR (where
// handleSummary writes summary.json), FW_TESTID (a distributed run's id, below), FW_SLO_TTFT and
// FW_SLO_TPOT (ms: every turn's slo, for fw_chat_goodput), FW_GOODPUT_MIN (0..1: a threshold on
// fw_chat_goodput).
// Fleet Hz: with FW_PROMETHEUS_URL set (e.g. http://prometheus:9090) the hz scenario runs the PromQL
// query FW_HZ_QUERY (default consciousness_loop_hz) there instead of reading FW_METRICS_URL, and
// combines the replicas with FW_HZ_AGGREGATE (default min: the slowest replica must reach FW_HZ_MIN;
// none: one sample and check per replica, tagged with its labels).
//
// Workload (docs/workloads.md): FW_ARRIVAL (closed | poisson | trace), FW_RATE (sessions/s), FW_BURSTINESS,
// FW_MAX_VUS, FW_SEED, FW_THINK_DIST (uniform | exponential), FW_DATASET (a JSONL file of
// conversations), FW_TRACE and FW_TRACE_SPEED (a request trace to replay). The default is the closed
// model: FW_VUS users, each looping sessions. With FW_ARRIVAL=poisson the chat scenario is open:
// sessions arrive at random (poisson-arrival-rate, FW_RATE a second for the whole span of the
// profile) whether or not earlier ones ended. With FW_ARRIVAL=trace each row of the trace FW_TRACE
// starts a one-prompt session at the row's time (trace-arrival, FW_TRACE_SPEED times as fast) whose
// prompt has the row's input length in words.
//
// Split runs (k6-operator parallelism N, or --execution-segment): set FW_HZ_SCRAPERS=N. The hz scenario
// then runs N scrapers at one scrape a second each, so every segment gets one and judges the Hz
// thresholds on its own readings (with 1 scraper only one segment would have readings, and the empty
// fw_loop_hz Trend would fail every other segment).
//
// One verdict for a distributed run (docs/deploy.md): with FW_TESTID set, every sample is tagged
// `testid` and `fw_runner` (FW_RUNNER, else a random id per k6 process, so runners remote-writing to
// one Prometheus never share a series), and setup() writes one `fw_run_info` sample carrying the
// run's identity and these thresholds, from which `k6 x featherweight verdict` judges the merged run.
import fw from 'k6/x/featherweight';
import { check, randomSeed, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';

const env = __ENV;

const PROFILES = {
  full: { vus: 1000, ramp: '1m', hold: '5m', rampDown: '30s', think: 2, turns: 3, rate: 200 },
  smoke: { vus: 10, ramp: '3s', hold: '10s', rampDown: '2s', think: 0.5, turns: 2, rate: 5 },
  // soak: the full profile's users for an hour (FW_HOLD), at flat memory: the chat Trends are kept
  // in the extension's sketches (trends: 'sketch'), and the summary so far is written every
  // FW_CHECKPOINT to FW_OUT_DIR/summary.partial.json (docs/chat.md, "Soak").
  soak: { vus: 1000, ramp: '1m', hold: '1h', rampDown: '30s', think: 2, turns: 3, rate: 200, trends: 'sketch', checkpoint: '1m' },
};
const profileName = env.FW_PROFILE || 'full';
const profile = PROFILES[profileName];
if (!profile) {
  throw new Error(`FW_PROFILE=${profileName}: expected one of ${Object.keys(PROFILES).join(', ')}`);
}

const cfg = {
  chatURL: env.FW_CHAT_URL || 'ws://127.0.0.1:8080/api/chat',
  metricsURL: env.FW_METRICS_URL || 'http://127.0.0.1:8080/metrics',
  healthzURL: env.FW_HEALTHZ_URL || 'http://127.0.0.1:8080/healthz',
  protocol: env.FW_PROTOCOL || 'featherweight',
  // 'gaps' (default): one fw_chat_itl sample per gap, as vLLM pools them; 'summary': one per turn
  // (its mean gap, plus fw_chat_itl_max), for soak runs whose k6 must not keep every gap.
  itl: env.FW_ITL || 'gaps',
  // 'samples' (default): one k6 sample per value, exact percentiles, memory growing with the run;
  // 'sketch' (the soak profile): run-wide sketches in the extension, percentiles within 1%, flat memory.
  trends: oneOf('FW_TRENDS', ['samples', 'sketch'], profile.trends),
  vus: int('FW_VUS', profile.vus),
  ramp: env.FW_RAMP || profile.ramp,
  hold: duration('FW_HOLD', profile.hold),
  // FW_CHECKPOINT (the soak profile: 1m): write the summary so far to FW_OUT_DIR/summary.partial.json
  // this often, atomically, so a run killed mid-way (OOM, node drain) leaves its numbers.
  checkpoint: env.FW_CHECKPOINT || profile.checkpoint ? duration('FW_CHECKPOINT', profile.checkpoint) : null,
  rampDown: env.FW_RAMP_DOWN || profile.rampDown,
  think: num('FW_THINK', profile.think),
  turns: int('FW_TURNS', profile.turns),
  ttftP95: num('FW_TTFT_P95', 2000),
  hzMin: num('FW_HZ_MIN', 95),
  hzCheckRate: num('FW_HZ_CHECK_RATE', 0.9),
  hzScrapers: int('FW_HZ_SCRAPERS', 1),
  hzHoldOnly: env.FW_HZ_HOLD_ONLY === '1',
  prometheusURL: env.FW_PROMETHEUS_URL || '',
  hzQuery: env.FW_HZ_QUERY || 'consciousness_loop_hz',
  hzAggregate: env.FW_HZ_AGGREGATE || 'min',
  testid: env.FW_TESTID || '',
  // slo: every turn's goodput targets (ms); a turn that succeeded and met them counts in fw_chat_goodput.
  slo: {
    ...(env.FW_SLO_TTFT ? { ttft: num('FW_SLO_TTFT', 0) } : {}),
    ...(env.FW_SLO_TPOT ? { tpot: num('FW_SLO_TPOT', 0) } : {}),
  },
  goodputMin: num('FW_GOODPUT_MIN', 0), // 0 = no goodput threshold
};
if (cfg.goodputMin > 1) throw new Error(`FW_GOODPUT_MIN=${env.FW_GOODPUT_MIN}: expected a share between 0 and 1`);

function num(name, dflt) {
  if (env[name] === undefined || env[name] === '') return dflt;
  const v = Number(env[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}=${env[name]}: expected a non-negative number`);
  return v;
}

function int(name, dflt) {
  const v = num(name, dflt);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}=${env[name]}: expected a positive integer`);
  return v;
}

// workload says who arrives and what they say: the closed model (FW_VUS users looping sessions) or
// the open one (sessions arriving at random, FW_RATE a second), the think-time distribution, and
// synthetic prompts or conversations from a dataset (docs/workloads.md).
const workload = {
  arrival: oneOf('FW_ARRIVAL', ['closed', 'poisson', 'trace']),
  thinkDist: oneOf('FW_THINK_DIST', ['uniform', 'exponential']),
  rate: null, // sessions per second (open model)
  burstiness: null, // gamma shape of the gaps between arrivals: 1 = Poisson, < 1 burstier (open model)
  maxVUs: null, // VUs the open model may use; an arrival with none free is a dropped iteration
  seed: env.FW_SEED ? int0('FW_SEED') : undefined, // arrivals, dataset order and think times
  dataset: env.FW_DATASET || null,
  trace: null, // the trace file replayed (FW_ARRIVAL=trace), and what fw.trace() read of it
  traceSpeed: null,
  traceInfo: null,
};
for (const [name, models] of [['FW_RATE', ['poisson']], ['FW_BURSTINESS', ['poisson']],
  ['FW_MAX_VUS', ['poisson', 'trace']], ['FW_TRACE', ['trace']], ['FW_TRACE_SPEED', ['trace']]]) {
  if (env[name] && !models.includes(workload.arrival)) {
    throw new Error(`${name} applies to FW_ARRIVAL=${models.join(' or ')} (or unset ${name})`);
  }
}
if (workload.arrival === 'poisson') {
  workload.rate = positive('FW_RATE', profile.rate);
  workload.burstiness = positive('FW_BURSTINESS', 1);
  workload.maxVUs = int('FW_MAX_VUS', 2 * cfg.vus);
} else if (workload.arrival === 'trace') {
  if (!env.FW_TRACE) throw new Error('FW_ARRIVAL=trace needs FW_TRACE, the trace file to replay');
  workload.trace = env.FW_TRACE;
  workload.traceSpeed = positive('FW_TRACE_SPEED', 1);
  workload.maxVUs = int('FW_MAX_VUS', 2 * cfg.vus);
  workload.traceInfo = fw.trace(workload.trace);
}
if (workload.seed !== undefined) randomSeed((workload.seed % 2 ** 31) * 65536 + __VU); // think times and turn counts

function oneOf(name, values, dflt) {
  const v = env[name] || dflt || values[0];
  if (!values.includes(v)) throw new Error(`${name}=${v}: expected one of ${values.join(', ')}`);
  return v;
}

function positive(name, dflt) {
  const v = num(name, dflt);
  if (v <= 0) throw new Error(`${name}=${env[name]}: expected a number greater than 0`);
  return v;
}

function int0(name) {
  const v = num(name, 0);
  if (!Number.isSafeInteger(v)) throw new Error(`${name}=${env[name]}: expected a non-negative integer`);
  return v;
}

// duration is a knob that must be a duration greater than zero ("90s", "5m", "1h"); anything else
// stops k6 at init naming the knob.
function duration(name, dflt) {
  const v = env[name] === undefined || env[name] === '' ? dflt : env[name];
  let s;
  try {
    s = seconds(v);
  } catch (e) {
    s = NaN;
  }
  if (!(s > 0)) throw new Error(`${name}=${v}: expected a duration greater than zero, like 90s, 5m or 1h`);
  return v;
}

// seconds parses the durations k6 accepts in stages ("90s", "1m", "1m30s", "500ms").
function seconds(d) {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m;
  let matched = '';
  while ((m = re.exec(d)) !== null) {
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
    matched += m[0];
  }
  if (matched !== d) throw new Error(`bad duration "${d}"`);
  return total;
}

const ERROR_KINDS = ['connect', 'handshake', 'timeout_first_token', 'timeout_idle', 'timeout_total',
  'closed', 'server_error', 'protocol', 'canceled'];

// span is how long the chat scenario starts sessions: the profile's stages, or the trace's replay.
const span = workload.traceInfo
  ? workload.traceInfo.duration / workload.traceSpeed
  : seconds(cfg.ramp) + seconds(cfg.hold) + seconds(cfg.rampDown);

// chatScenario is the chat scenario of the workload's model. Closed: FW_VUS users ramp up, hold and
// ramp down, each starting its next session when the last one (and its think time) ended. Open:
// sessions arrive at random, FW_RATE a second over the same span, whether or not earlier ones ended;
// an arrival that finds no free VU (FW_MAX_VUS) is counted in dropped_iterations. Trace: one
// session at each row of FW_TRACE, FW_TRACE_SPEED times as fast.
function chatScenario() {
  if (workload.arrival === 'trace') {
    return {
      executor: 'trace-arrival',
      exec: 'chat',
      trace: workload.trace,
      speed: workload.traceSpeed,
      preAllocatedVUs: Math.min(cfg.vus, workload.maxVUs),
      maxVUs: workload.maxVUs,
      gracefulStop: '30s',
    };
  }
  if (workload.arrival === 'poisson') {
    return {
      executor: 'poisson-arrival-rate',
      exec: 'chat',
      rate: workload.rate,
      timeUnit: '1s',
      duration: `${Math.max(1, Math.round(span))}s`,
      burstiness: workload.burstiness,
      ...(workload.seed === undefined ? {} : { seed: workload.seed }),
      preAllocatedVUs: Math.min(cfg.vus, workload.maxVUs),
      maxVUs: workload.maxVUs,
      gracefulStop: '30s',
    };
  }
  return {
    executor: 'ramping-vus',
    exec: 'chat',
    startVUs: 0,
    stages: [
      { duration: cfg.ramp, target: cfg.vus },
      { duration: cfg.hold, target: cfg.vus },
      { duration: cfg.rampDown, target: 0 },
    ],
    gracefulRampDown: '30s',
    gracefulStop: '30s',
  };
}

const THRESHOLDS = thresholdTable();

export const options = {
  scenarios: {
    chat: chatScenario(),
    hz: {
      executor: 'constant-arrival-rate',
      exec: 'hz',
      // FW_HZ_HOLD_ONLY=1 (the capacity search sets it): read the loop during the hold only, so the Hz
      // thresholds judge the loop at the full user count, not during the ramps.
      startTime: cfg.hzHoldOnly ? cfg.ramp : '0s',
      rate: cfg.hzScrapers, // one scrape a second per scraper
      timeUnit: '1s',
      duration: `${Math.max(1, Math.round(cfg.hzHoldOnly ? seconds(cfg.hold) : span))}s`,
      preAllocatedVUs: cfg.hzScrapers,
      maxVUs: cfg.hzScrapers,
    },
  },
  thresholds: runThresholds(),
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
  ...(cfg.testid ? { tags: { testid: cfg.testid, fw_runner: env.FW_RUNNER || Math.random().toString(16).slice(2, 10) } } : {}),
};

// THRESHOLDS (thresholdTable) are the run's pass/fail criteria. With sketched Trends (FW_TRENDS=sketch, the soak
// profile) fw.sketchThresholds states the same criteria on the gauges that carry the sketches'
// whole-run statistics (fw_chat_ttft p(95) -> fw_chat_ttft_sketch{stat:p95} value), and
// fw.summary(data) reports them under their own names.
function runThresholds() {
  return cfg.trends === 'sketch' ? fw.sketchThresholds(THRESHOLDS) : THRESHOLDS;
}

function thresholdTable() {
  return {
    error_rate: ['rate<0.01'],
    fw_loop_hz: ['avg>95'],
    'checks{type:hz}': [`rate>=${cfg.hzCheckRate}`],
    fw_chat_ttft: [`p(95)<${cfg.ttftP95}`],
    chat_turns_ok: ['count>0'],
    ...(cfg.goodputMin > 0 ? { fw_chat_goodput: [`rate>=${cfg.goodputMin}`] } : {}),
    // Always-true thresholds only to make k6 keep a per-kind count for the summary below.
    ...Object.fromEntries(ERROR_KINDS.map((k) => [`fw_chat_errors{error_kind:${k}}`, ['count>=0']])),
    // ... and the sessions started and dropped (open model: arrivals with no free VU).
    'iterations{scenario:chat}': ['count>=0'],
    dropped_iterations: ['count>=0'],
    'dropped_iterations{scenario:chat}': ['count>=0'],
  };
}


// error_rate: one sample per chat turn, 1 when the turn failed (whatever the error kind).
const errorRate = new Rate('error_rate');
// chat_turns_ok: successful turns; its count>0 threshold makes a run with no successful turn fail.
const turnsOK = new Counter('chat_turns_ok');
// fw_loop_hz_floor: FW_HZ_MIN once per scrape, only so the web dashboard can draw the 95 Hz line
// beside fw_loop_hz (a Trend like it, so both share one axis). It has no threshold.
const hzFloor = new Trend('fw_loop_hz_floor');
// fw_run_info: one sample per runner (FW_TESTID set) whose tags are the identity and the thresholds.
const runInfo = new Gauge('fw_run_info');

export function setup() {
  if (cfg.checkpoint && env.FW_OUT_DIR) {
    fw.checkpoint({
      path: `${env.FW_OUT_DIR}/summary.partial.json`, every: cfg.checkpoint, identity,
      thresholds: THRESHOLDS, summaryTrendStats: options.summaryTrendStats,
    });
  }
  if (cfg.testid) {
    runInfo.add(1, { identity: JSON.stringify(identity), thresholds: JSON.stringify(THRESHOLDS) });
  }
}
// chat_sessions: sessions started (arrivals), charted per second by the web dashboard beside
// dropped_iterations (arrivals the open model had no free VU for).
const sessionsStarted = new Counter('chat_sessions');
// error_rate_limit: the 1% that error_rate may reach, drawn beside it by the web dashboard (1 of
// every 100 samples is true). Without it a run with no failure charts a flat 0 whose percent axis
// reads 0 to 10,000%. It has no threshold.
const errorRateLimit = new Rate('error_rate_limit');

// One monitor per VU (init context); only the `hz` scenario's single VU ever scrapes.
const monitor = cfg.prometheusURL
  ? new fw.HzMonitor({
    prometheus: cfg.prometheusURL, query: cfg.hzQuery, min: cfg.hzMin,
    aggregate: cfg.hzAggregate === 'none' ? undefined : cfg.hzAggregate,
  })
  : new fw.HzMonitor({ url: cfg.metricsURL, healthz: cfg.healthzURL, min: cfg.hzMin });

const TOPICS = ['the 100 Hz loop', 'websocket backpressure', 'a haiku about latency', 'garbage collection',
  'tail latency', 'token streaming', 'consistent hashing', 'the CAP theorem', 'TCP slow start',
  'load shedding', 'circuit breakers', 'p99 budgets', 'the thundering herd', 'rate limiting'];
const ASKS = ['Explain', 'Summarise', 'Give three facts about', 'Write a short note on',
  'Compare two views of', 'What is a common mistake with', 'Teach a beginner'];

// The dataset (FW_DATASET): read once per k6 process by the extension, shared by every VU. Session
// number k of the run takes conversation k of the dataset's seeded order (FW_SEED).
const conversations = workload.dataset ? fw.dataset(workload.dataset, { seed: workload.seed }) : null;

// `featherweight` names the scenario and its load shape, so that `k6 x featherweight compare` refuses
// to compare summaries of different scenarios or profiles.
const identity = {
  scenario: 'featherweight-load', profile: profileName, protocol: cfg.protocol, vus: cfg.vus,
  ramp: cfg.ramp, hold: cfg.hold, rampDown: cfg.rampDown, think: cfg.think, turns: cfg.turns,
  ...workloadIdentity(),
  ...(cfg.testid ? { testid: cfg.testid } : {}),
};

// prompt_chars: the length of every prompt sent, in characters, when the prompts come from a dataset.
const promptChars = conversations ? new Trend('prompt_chars') : null;

// trace_output_tokens: the output tokens the trace's rows asked for, summed over the sessions
// started (FW_ARRIVAL=trace), for the summary beside the tokens received.
const traceOutputTokens = workload.traceInfo ? new Counter('trace_output_tokens') : null;

// sessionPrompts are the prompts of this session, in order: the trace row's one prompt
// (FW_ARRIVAL=trace), a conversation's human turns (at most FW_TURNS), or 1 to FW_TURNS synthetic ones.
function sessionPrompts() {
  if (workload.traceInfo) {
    const row = fw.traceRow();
    if (row.outputTokens !== null) traceOutputTokens.add(row.outputTokens);
    return [row.inputTokens === null ? prompt(0) : promptOfWords(row.inputTokens, row.index)];
  }
  if (conversations) {
    return conversations.conversation(exec.scenario.iterationInTest).slice(0, cfg.turns);
  }
  const turns = 1 + Math.floor(Math.random() * cfg.turns);
  return Array.from({ length: turns }, (_, t) => prompt(t));
}

// promptOfWords is a prompt of exactly n whitespace-separated words (at least one), the input length
// of trace row `index`: the words of the dataset's conversations from conversation `index` on
// (FW_DATASET), else synthetic words that differ from row to row.
function promptOfWords(n, index) {
  const want = Math.max(1, n);
  const words = [];
  if (conversations) {
    for (let k = index; words.length < want && k < index + 2 * conversations.size; k++) {
      for (const turn of conversations.conversation(k)) {
        words.push(...turn.split(/\s+/).filter((w) => w !== ''));
        if (words.length >= want) break;
      }
    }
  }
  const vocabulary = SYNTHETIC_WORDS;
  for (let j = words.length; j < want; j++) words.push(vocabulary[(index * 7 + j) % vocabulary.length]);
  words.length = want;
  return words.join(' ');
}

const SYNTHETIC_WORDS = [...new Set([...TOPICS, ...ASKS].join(' ').toLowerCase().split(/\s+/))];

// chars counts Unicode code points (a JS string's length counts UTF-16 units).
function chars(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// prompt varies by VU, iteration and turn: the real backend caches identical prompts.
function prompt(turn) {
  const vu = __VU;
  const it = __ITER;
  const topic = TOPICS[(vu * 7 + it * 3 + turn) % TOPICS.length];
  const ask = ASKS[(vu + it * 5 + turn * 11) % ASKS.length];
  return turn === 0
    ? `${ask} ${topic}. (user ${vu}, session ${it})`
    : `Follow-up ${turn} on ${topic}: ${ask.toLowerCase()} it in more depth. (user ${vu}, session ${it})`;
}

// think pauses like a user reading a reply: FW_THINK seconds on average, uniform in [0.5, 1.5] times
// that (the default) or exponential (FW_THINK_DIST=exponential: memoryless, now and then long).
function think() {
  const u = Math.random();
  sleep(workload.thinkDist === 'exponential' ? -cfg.think * Math.log(1 - u) : cfg.think * (0.5 + u));
}

function record(res) {
  errorRate.add(!res.ok);
  if (res.ok) turnsOK.add(1);
  check(res, { 'chat turn ok': (r) => r.ok });
}

// chat is one user's session: connect, a few turns with think time between them, close. Under the
// closed model the user then thinks before the next session; under the open model a session is one
// arrival and the next one comes on its own schedule.
export function chat() {
  sessionsStarted.add(1);
  const prompts = sessionPrompts();
  const session = fw.connect(cfg.chatURL, { protocol: cfg.protocol, itl: cfg.itl, slo: cfg.slo, trends: cfg.trends });
  if (!session.connected) {
    // fw.connect already counted the failed connect as a failed turn (error_kind connect/handshake).
    record({ ok: false });
    if (workload.arrival === 'closed') think();
    return;
  }
  try {
    for (let t = 0; t < prompts.length; t++) {
      if (promptChars) promptChars.add(chars(prompts[t]));
      const res = session.send(prompts[t]);
      record(res);
      if (!res.ok) break; // the session is gone or the server failed: start a new one next iteration
      if (t < prompts.length - 1) think();
    }
  } finally {
    session.close();
  }
  if (workload.arrival === 'closed') think();
}

// The last failure kind this VU logged: a failing endpoint is logged when the kind changes,
// not once a second. (The monitor itself warns once when it falls back to /healthz; error
// messages have any URL userinfo masked.)
let lastFailure = '';

// hz reads the loop frequency once per iteration (one a second per scraper, by the arrival rate above).
export function hz() {
  const r = monitor.scrape();
  hzFloor.add(cfg.hzMin);
  for (let i = 0; i < 100; i++) errorRateLimit.add(i === 0);
  const failure = !r.ok && r.error ? r.error.kind : '';
  if (failure && failure !== lastFailure) {
    console.warn(`hz scrape failed (${r.error.kind}): ${r.error.message} (logged again only when the kind changes)`);
  }
  lastFailure = failure;
}

// teardown runs after every chat turn: the sketch gauges then carry every value to the thresholds.
export function teardown() {
  if (cfg.trends === 'sketch') fw.flushTrends();
}

export function handleSummary(raw) {
  // Sketched Trends (soak) back under their own names and thresholds: the same shape as any run.
  const data = fw.summary(raw);
  const out = { stdout: summaryText(data) };
  if (env.FW_OUT_DIR) {
    out[`${env.FW_OUT_DIR}/summary.json`] = JSON.stringify({ featherweight: identity, ...data }, null, 2);
  }
  return out;
}

// workloadIdentity is the model that ran, for the summary's identity: compare tools refuse to
// compare runs of different arrival models.
function workloadIdentity() {
  return {
    arrival: workload.arrival, rate: workload.rate, burstiness: workload.burstiness,
    thinkDist: workload.thinkDist, dataset: conversations ? conversations.name : null,
    ...(workload.traceInfo ? { trace: workload.traceInfo.file, traceSpeed: workload.traceSpeed } : {}),
  };
}

// workloadLines describe the model that ran, the sessions it started and dropped, and the dataset.
function workloadLines(data) {
  const m = data.metrics;
  const count = (name) => (m[name] ? m[name].values.count : 0);
  const seed = workload.seed === undefined ? '' : `, seed ${workload.seed}`;
  const lines = ['workload'];
  if (workload.traceInfo) {
    const t = workload.traceInfo;
    lines.push(`  arrivals               trace replay: trace-arrival ${t.file} (${t.format}, ${t.rows} rows over ` +
      `${t.duration.toFixed(1)} s) at speed ${workload.traceSpeed}, max ${workload.maxVUs} VUs`);
    if (m.trace_output_tokens) {
      const received = m.fw_chat_tokens ? m.fw_chat_tokens.values.count : 0;
      lines.push(`  output tokens          ${m.trace_output_tokens.values.count} requested by the trace rows started, ` +
        `${received} received (the backend decides the reply's length)`);
    }
  } else if (workload.arrival === 'poisson') {
    lines.push(`  arrivals               open model: poisson-arrival-rate ${workload.rate}/s, burstiness ` +
      `${workload.burstiness} (gap CV ${(1 / Math.sqrt(workload.burstiness)).toFixed(2)}), max ${workload.maxVUs} VUs${seed}`);
  } else {
    lines.push(`  arrivals               closed model: ${cfg.vus} VUs, each starting its next session when the last ended${seed}`);
  }
  lines.push(`  sessions               ${count('iterations{scenario:chat}')} completed, ${count('dropped_iterations')} dropped (no free VU)`);
  if (workload.traceInfo) {
    lines.push('  turns                  one prompt a session, as many words as the row\'s input tokens');
  } else {
    lines.push(`  think time             ${workload.thinkDist}, mean ${cfg.think} s; at most ${cfg.turns} turns a session`);
  }
  if (conversations) {
    const pc = m.prompt_chars ? m.prompt_chars.values : null;
    lines.push(`  dataset                ${conversations.name}: ${conversations.used} of ${conversations.size} conversations used` +
      `${pc ? `; prompts p50=${pc.med.toFixed(0)} p95=${pc['p(95)'].toFixed(0)} chars` : ''}`);
  } else {
    lines.push('  prompts                synthetic');
  }
  return lines;
}

function fmt(v, unit) {
  if (v === undefined || v === null || Number.isNaN(v)) return '-';
  return unit === 'ms' ? `${v.toFixed(1)}ms` : v.toFixed(2);
}

function trendLine(data, name, label, unit) {
  const m = data.metrics[name];
  if (!m) return `  ${label.padEnd(22)} no samples`;
  const v = m.values;
  return `  ${label.padEnd(22)} avg=${fmt(v.avg, unit)} p50=${fmt(v.med, unit)} p90=${fmt(v['p(90)'], unit)} ` +
    `p95=${fmt(v['p(95)'], unit)} p99=${fmt(v['p(99)'], unit)} max=${fmt(v.max, unit)}`;
}

// hzChecks collects the Hz checks of every group by name: "hz >= 95" for readings from /metrics,
// "hz >= 95 (from /healthz: /metrics answered 404)" for readings the monitor took from /healthz.
function hzChecks(group, out) {
  for (const c of group.checks || []) {
    if (c.name.startsWith('hz >= ')) out[c.name] = (out[c.name] || 0) + c.passes + c.fails;
  }
  for (const g of group.groups || []) hzChecks(g, out);
  return out;
}

// hzSourceLine says where the Hz values came from: "Hz 97.4 avg, from /healthz: /metrics answered
// 404", "Hz 99.9 avg, from /metrics", or both with their reading counts.
function hzSourceLine(data) {
  const m = data.metrics.fw_loop_hz;
  const avg = m ? `Hz ${m.values.avg.toFixed(1)} avg` : 'Hz: no reading';
  const sources = [];
  for (const [name, n] of Object.entries(hzChecks(data.root_group, {}))) {
    const i = name.indexOf(' (from ');
    const direct = cfg.prometheusURL ? `Prometheus (${cfg.hzQuery})` : '/metrics';
    sources.push({ from: i < 0 ? direct : name.slice(i + ' (from '.length, -1), n });
  }
  if (sources.length === 0) return avg;
  if (sources.length === 1) return `${avg}, from ${sources[0].from}`;
  return `${avg}, from ${sources.map((s) => `${s.from} (${s.n} readings)`).join(' and ')}`;
}

function summaryText(data) {
  const m = data.metrics;
  const lines = [];
  const seconds = data.state.testRunDurationMs / 1000;
  const model = {
    poisson: `open model, ${workload.rate} sessions/s`,
    trace: `trace replay at speed ${workload.traceSpeed}`,
    closed: `closed model, ${cfg.vus} VUs`,
  }[workload.arrival];
  lines.push('', `Featherweight load test — profile ${profileName}, ${model}, ${seconds.toFixed(0)} s`, '');
  lines.push(...workloadLines(data), '');
  lines.push('chat');
  const turns = m.fw_chat_turns ? m.fw_chat_turns.values.count : 0;
  const failed = m.fw_chat_failed ? m.fw_chat_failed.values.passes : 0;
  const tokens = m.fw_chat_tokens ? m.fw_chat_tokens.values.count : 0;
  lines.push(`  turns                  ${turns} (${failed} failed), tokens ${tokens} (${(tokens / seconds).toFixed(0)} tokens/s)`);
  lines.push(trendLine(data, 'fw_chat_connecting', 'connecting', 'ms'));
  lines.push(trendLine(data, 'fw_chat_ttft', 'TTFT', 'ms'));
  lines.push(trendLine(data, 'fw_chat_itl', 'ITL', 'ms'));
  lines.push(trendLine(data, 'fw_chat_tpot', 'TPOT', 'ms'));
  lines.push(trendLine(data, 'fw_chat_duration', 'turn duration', 'ms'));
  const kinds = Object.keys(m)
    .filter((k) => k.startsWith('fw_chat_errors{error_kind:'))
    .filter((k) => m[k].values.count > 0)
    .map((k) => `${k.slice('fw_chat_errors{error_kind:'.length, -1)}=${m[k].values.count}`);
  lines.push(`  errors                 ${m.fw_chat_errors ? m.fw_chat_errors.values.count : 0}${kinds.length ? ` (${kinds.join(', ')})` : ''}`);
  lines.push('', 'loop');
  lines.push(`  ${hzSourceLine(data)}`);
  lines.push(trendLine(data, 'fw_loop_hz', 'Hz', ''));
  const scrapeFail = m.fw_hz_scrape_failed ? m.fw_hz_scrape_failed.values : null;
  lines.push(`  scrapes                ${scrapeFail ? scrapeFail.passes + scrapeFail.fails : 0} (${scrapeFail ? scrapeFail.passes : 0} failed)`);
  lines.push('', 'thresholds');
  for (const [name, metric] of Object.entries(m)) {
    for (const [expr, res] of Object.entries(metric.thresholds || {})) {
      if (expr === 'count>=0') continue; // the per-kind bookkeeping above
      lines.push(`  ${res.ok ? 'PASS' : 'FAIL'}  ${name}: ${expr}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
