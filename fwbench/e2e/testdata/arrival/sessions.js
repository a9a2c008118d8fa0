// poisson-arrival-rate arrivals whose times the server records itself: each arrival is one
// WebSocket session of one turn (fwsim's turn log holds the server's view), or with MODE=http one
// GET carrying its arrival index. The summary prints only `dropped=N`, so the run needs no --out.
import http from 'k6/http';
import exec from 'k6/execution';
import fw from 'k6/x/featherweight';

export const options = {
  discardResponseBodies: true,
  scenarios: {
    arrivals: {
      executor: 'poisson-arrival-rate',
      rate: Number(__ENV.RATE),
      duration: __ENV.DURATION,
      preAllocatedVUs: Number(__ENV.VUS),
      seed: Number(__ENV.SEED),
      gracefulStop: '5s',
    },
  },
  thresholds: { dropped_iterations: ['count>=0'] }, // keep the count for the summary
};

export default function () {
  if (__ENV.MODE === 'http') {
    http.get(`${__ENV.URL}/arrival?run=${__ENV.RUN}&i=${exec.scenario.iterationInTest}`);
    return;
  }
  fw.chat(__ENV.URL, 'hi');
}

export function handleSummary(data) {
  const d = data.metrics.dropped_iterations;
  return { stdout: `dropped=${d ? d.values.count : 0}\n` };
}
