// Open-model ramp: Poisson arrivals whose mean rate follows stages (ramping-poisson-arrival-rate,
// registered by this extension): 0 → 30 sessions/s over 30 s, hold for a minute, back to 0.
//   ./k6 run examples/arrival-ramping-poisson.js         (against `make run` / bin/fwsim on 127.0.0.1:8080)
import fw from 'k6/x/featherweight';
import { check } from 'k6';

export const options = {
  scenarios: {
    ramp: {
      executor: 'ramping-poisson-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      stages: [
        { duration: '30s', target: 30 }, // linear ramp of the mean rate
        { duration: '1m', target: 30 },
        { duration: '30s', target: 0 },
      ],
      preAllocatedVUs: 50,
      maxVUs: 300,
      burstiness: 0.5, // gaps' CV = 1/sqrt(0.5) ≈ 1.41: burstier than Poisson
      // no seed: a random one is chosen and logged ("arrival seed N"), so the run can be repeated
    },
  },
  thresholds: {
    fw_chat_failed: ['rate<0.01'],
    fw_chat_turns: ['count>0'],
  },
};

const URL = __ENV.FW_URL || 'ws://127.0.0.1:8080/api/chat';

export default function () {
  const res = fw.chat(URL, 'Explain the 100 Hz loop in one paragraph.');
  check(res, { 'turn ok': (r) => r.ok });
}
