// The fault matrix's chat driver (e2e/faults_test.go). Every turn, failed or not, is logged as one
// console line `FWR {json}` that the Go test reconciles with the fault server's ground truth; a send
// on a session that was no longer connected is marked dead (it counts no turn).
//
// FW_URL     the endpoint          FW_MODE   oneshot | session | async | sessionAsync | sessionMixed
// FW_PARAMS  JSON chat params       FW_TURNS  turns per iteration (per session)
// FW_VUS, FW_ITERS                  FW_INSECURE=1 sets insecureSkipTLSVerify
import fw from 'k6/x/featherweight';

const URL = __ENV.FW_URL;
const MODE = __ENV.FW_MODE || 'oneshot';
const TURNS = Number(__ENV.FW_TURNS || 1);
const PARAMS = Object.assign({ keepText: true }, JSON.parse(__ENV.FW_PARAMS || '{}'));

export const options = {
  insecureSkipTLSVerify: __ENV.FW_INSECURE === '1',
  scenarios: {
    faults: {
      executor: 'shared-iterations', vus: Number(__ENV.FW_VUS || 1), iterations: Number(__ENV.FW_ITERS || 2),
      maxDuration: __ENV.FW_MAX || '60s',
    },
  },
};

function record(prompt, res, extra) {
  console.log('FWR ' + JSON.stringify(Object.assign({
    p: prompt, ok: res.ok, kind: res.error ? res.error.kind : '', msg: res.error ? res.error.message : '',
    tokens: res.tokens, chunks: res.chunks, text: res.text, closeCode: res.closeCode,
  }, extra || {})));
}

function prompt(k) {
  return `p${__VU}-${__ITER}-${k}`;
}

export default async function () {
  switch (MODE) {
    case 'oneshot':
      for (let k = 0; k < TURNS; k++) record(prompt(k), fw.chat(URL, prompt(k), PARAMS));
      return;
    case 'async': {
      const ps = [];
      for (let k = 0; k < TURNS; k++) ps.push(fw.chatAsync(URL, prompt(k), PARAMS).then((r) => record(prompt(k), r)));
      await Promise.all(ps);
      return;
    }
    default: {
      const s = fw.connect(URL, PARAMS);
      if (!s.connected) {
        console.log('FWR ' + JSON.stringify({ p: '', connect: true, ok: false, kind: s.error.kind, msg: s.error.message }));
        return;
      }
      for (let k = 0; k < TURNS; k++) {
        const useAsync = MODE === 'sessionAsync' || (MODE === 'sessionMixed' && k % 2 === 1);
        // A send on a session that is no longer connected counts nothing (the turn that broke it
        // was counted): the record says so, and the Go test leaves it out of the metrics.
        const dead = !s.connected;
        const res = useAsync ? await s.sendAsync(prompt(k)) : s.send(prompt(k));
        record(prompt(k), res, dead ? { dead: true } : undefined);
      }
      s.close();
    }
  }
}
