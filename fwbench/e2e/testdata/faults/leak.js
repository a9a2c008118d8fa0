// The bounded leak test's script (e2e/leak_test.go). The `turns` scenario starts after FW_START
// and runs FW_VUS x FW_ITERS iterations, each: one session of FW_SESSION_TURNS turns, FW_ASYNC concurrent chatAsync one-shots, and FW_DROPS one-shots
// against a server that drops the connection mid-stream. The `hold` scenario keeps k6 alive
// (idle) so the test can measure the process before and after.
import fw from 'k6/x/featherweight';
import { sleep } from 'k6';

const N = (k, d) => Number(__ENV[k] || d);

export const options = {
  scenarios: {
    hold: { executor: 'constant-vus', vus: 1, duration: __ENV.FW_HOLD || '90s', exec: 'hold' },
    turns: {
      executor: 'per-vu-iterations', vus: N('FW_VUS', 4), iterations: N('FW_ITERS', 15),
      startTime: __ENV.FW_START || '5s', maxDuration: '60s', exec: 'turns',
    },
  },
};

export function hold() {
  sleep(0.5);
}

export async function turns() {
  const s = fw.connect(__ENV.FW_URL);
  for (let k = 0; k < N('FW_SESSION_TURNS', 50); k++) {
    const res = s.send('s' + k);
    if (!res.ok) console.error('session turn failed: ' + res.error.kind + ': ' + res.error.message);
  }
  s.close();
  const ps = [];
  for (let k = 0; k < N('FW_ASYNC', 5); k++) ps.push(fw.chatAsync(__ENV.FW_URL, 'a' + k));
  for (const r of await Promise.all(ps)) {
    if (!r.ok) console.error('chatAsync failed: ' + r.error.kind + ': ' + r.error.message);
  }
  for (let k = 0; k < N('FW_DROPS', 2); k++) {
    const r = fw.chat(__ENV.FW_URL_DROP, 'd' + k);
    if (r.ok || r.error.kind !== 'closed') console.error('drop turn: unexpected ' + JSON.stringify(r.error));
  }
}
