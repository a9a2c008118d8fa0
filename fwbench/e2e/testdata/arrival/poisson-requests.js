// poisson-arrival-rate arrivals whose times the server records itself: each arrival is one GET
// carrying its arrival index. The summary prints only `dropped=N`, so the run needs no --out.
import http from 'k6/http';
import exec from 'k6/execution';

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
  http.get(`${__ENV.URL}/arrival?run=${__ENV.RUN}&i=${exec.scenario.iterationInTest}`);
}

export function handleSummary(data) {
  const d = data.metrics.dropped_iterations;
  return { stdout: `dropped=${d ? d.values.count : 0}\n` };
}
