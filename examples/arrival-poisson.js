// Open-model load: new chat sessions arrive as a Poisson process (poisson-arrival-rate, registered
// by this extension), 20 per second on average for one minute. Each arrival is one session of up to
// three turns; a slow backend does not slow the arrivals (no coordinated omission), and arrivals
// that find no free VU are counted in dropped_iterations.
//   ./k6 run examples/arrival-poisson.js                 (against `make run` / bin/fwsim on 127.0.0.1:8080)
//   ./k6 run -e BURSTINESS=0.25 examples/arrival-poisson.js   (burstier: gaps' CV 2 instead of 1)
// Two machines sharing the same arrivals (keep the seed):
//   ./k6 run --execution-segment 0:1/2 --execution-segment-sequence 0,1/2,1 examples/arrival-poisson.js
//   ./k6 run --execution-segment 1/2:1 --execution-segment-sequence 0,1/2,1 examples/arrival-poisson.js
import fw from 'k6/x/featherweight';
import { check, sleep } from 'k6';

export const options = {
  scenarios: {
    sessions: {
      executor: 'poisson-arrival-rate',
      rate: 20, // mean arrivals per timeUnit
      timeUnit: '1s',
      duration: '1m',
      preAllocatedVUs: 50,
      maxVUs: 200,
      burstiness: Number(__ENV.BURSTINESS || 1), // gamma shape k: 1 = Poisson, < 1 burstier
      seed: 42, // the same seed gives the same arrival times, on every machine
      gracefulStop: '30s',
    },
  },
  thresholds: {
    fw_chat_failed: ['rate<0.01'],
    fw_chat_turns: ['count>0'],
    dropped_iterations: ['count<1'], // the VUs must keep up with the arrivals
  },
};

const URL = __ENV.FW_URL || 'ws://127.0.0.1:8080/api/chat';

export default function () {
  const session = fw.connect(URL);
  if (!session.connected) return; // counted as a failed turn (error_kind connect or handshake)
  for (const prompt of ['Hello!', 'What does the 100 Hz loop do?', 'Thanks.']) {
    const res = session.send(prompt);
    check(res, { 'turn ok': (r) => r.ok });
    if (!res.ok) break;
    sleep(1); // think time inside the session
  }
  session.close();
}
