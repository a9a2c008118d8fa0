// One VU keeps one session in a VU-level variable across its iterations (as a long-lived user
// holds a socket): FW_CASE=reuse runs 30 iterations on it; FW_CASE=interrupted first interrupts
// a turn (a backend that never answers, a 1 s scenario with no gracefulStop), then the same VU
// finds the session not connected, a send on it counts nothing, and it reconnects to the healthy
// backend for 20 iterations.
import fw from 'k6/x/featherweight';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

const deadSessionSeen = new Counter('dead_session_seen');

const reuseScenario = {
  executor: 'per-vu-iterations', exec: 'reuse', vus: 1, iterations: 30, maxDuration: '60s',
};
export const options = {
  scenarios: __ENV.FW_CASE === 'interrupted'
    ? {
      stuck: { executor: 'per-vu-iterations', exec: 'stuck', vus: 1, iterations: 1, maxDuration: '1s', gracefulStop: '0s' },
      reuse: { ...reuseScenario, iterations: 20, startTime: '2s' },
    }
    : { reuse: reuseScenario },
  thresholds: { checks: ['rate==1'], fw_chat_failed: ['rate==0'] },
};

let session = null;

export function stuck() {
  session = fw.connect(__ENV.FW_SLOW_URL);
  session.send('never answered in time'); // interrupted when the scenario's 1 s ends
}

export function reuse() {
  if (session && !session.connected) {
    const r = session.send('on a dead session');
    check(r, { 'a send on a dead session is closed': (x) => !x.ok && x.error.kind === 'closed' });
    deadSessionSeen.add(1);
    session = null;
  }
  if (!session) session = fw.connect(__ENV.FW_CHAT_URL);
  const res = session.send('hello again');
  check(res, { 'turn ok': (r) => r.ok, 'still connected': () => session.connected });
}
