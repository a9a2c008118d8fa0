// Scale workload (`make bench WHAT=scale`, bin/fwbench scale): many concurrent streams from a few VUs.
//   SCALE_MODE=promise  each stream is a loop of fw.chatAsync turns (a WebSocket per turn)
//   SCALE_MODE=session  each stream is one session (one WebSocket) looping session.sendAsync
// SCALE_STREAMS streams in all, spread over SCALE_VUS VUs, started evenly over SCALE_RAMP; each
// stream starts turns until BENCH_DURATION (counted from the start, ramp included) has passed.
//   BENCH_URL=ws://127.0.0.1:8080/api/chat SCALE_STREAMS=10000 BENCH_DURATION=60s ./k6 run examples/bench/scale.js
import fw from 'k6/x/featherweight';
import { Counter } from 'k6/metrics';
import { benchSummary, DURATION_MS, URL, PROMPT, LOG_TURNS } from './summary.js';

const MODE = __ENV.SCALE_MODE || 'promise';
const VUS = Number(__ENV.SCALE_VUS || 10);
const STREAMS = Number(__ENV.SCALE_STREAMS || 1000);
const RAMP_MS = Number(__ENV.SCALE_RAMP_MS || 10000);
if (MODE !== 'promise' && MODE !== 'session') throw new Error(`SCALE_MODE ${MODE}: want promise or session`);

export const options = {
  scenarios: {
    streams: { executor: 'per-vu-iterations', vus: VUS, iterations: 1, maxDuration: `${Math.ceil(DURATION_MS / 1000) + 90}s` },
  },
  summaryTrendStats: ['med', 'p(99)', 'count'],
};

const PARAMS = { timeouts: { connect: '30s', firstToken: '30s', total: '60s' } };

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function log(res) {
  if (res.ok && LOG_TURNS) console.log(`turn ${res.messageId} ${res.ttft}`);
}

async function promiseStream(end) {
  while (Date.now() < end) log(await fw.chatAsync(URL, PROMPT, PARAMS));
}

// Workaround: the binding clears a session's busy flag only after it has queued the resolution, so
// a sendAsync() issued right after `await`ing the previous one can be rejected with "session busy"
// (reported; fix: clear the flag before resolving). Such a rejection sent nothing: wait and retry,
// counted in bench_session_busy.
const sessionBusy = new Counter('bench_session_busy');

async function sessionStream(end) {
  const session = fw.connect(URL, PARAMS);
  if (!session.connected) return;
  while (Date.now() < end) {
    let res;
    try {
      res = await session.sendAsync(PROMPT);
    } catch (e) {
      if (!String(e).includes('session busy')) throw e;
      sessionBusy.add(1);
      await delay(1);
      continue;
    }
    log(res);
    if (!res.ok) break;
  }
  session.close();
}

export default async function () {
  const start = Date.now();
  const end = start + DURATION_MS;
  const vu = __VU - 1;
  const per = Math.floor(STREAMS / VUS) + (vu < STREAMS % VUS ? 1 : 0);
  const stream = MODE === 'promise' ? promiseStream : sessionStream;
  const loops = [];
  for (let i = 0; i < per; i++) {
    // Stream i of VU v starts at the (i*VUS+v)-th slot of the ramp.
    const at = start + (RAMP_MS * (i * VUS + vu)) / STREAMS;
    loops.push(delay(Math.max(0, at - Date.now())).then(() => stream(end)));
  }
  await Promise.all(loops);
}

export function handleSummary(data) {
  return benchSummary(MODE, data, {
    turnsAttempted: 'fw_chat_turns',
    failedRate: 'fw_chat_failed',
    tokens: 'fw_chat_tokens',
    ttft: 'fw_chat_ttft',
    itl: 'fw_chat_itl',
  });
}
