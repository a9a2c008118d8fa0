// The fwarrivalbench k6 script: for each rate in RATES, k6's constant-arrival-rate and then the
// extension's poisson-arrival-rate (seed SEED) run one after the other for DURATION each, in one
// k6 run. Every iteration sends one GET naming its scenario and global iteration index, so the
// recording server can compare when it started with when it was scheduled.
import http from 'k6/http';
import exec from 'k6/execution';

const rates = __ENV.RATES.split(',').map(Number);
const duration = __ENV.DURATION;
const slot = Number(__ENV.SLOT_SECONDS);
const vus = Number(__ENV.VUS);

const scenarios = {};
const thresholds = {};
rates.forEach((rate, i) => {
  const common = { duration, preAllocatedVUs: vus, maxVUs: vus, gracefulStop: '2s' };
  scenarios[`constant_${rate}`] = {
    executor: 'constant-arrival-rate', rate, ...common, startTime: `${2 * i * slot}s`,
  };
  scenarios[`poisson_${rate}`] = {
    executor: 'poisson-arrival-rate', rate, seed: Number(__ENV.SEED), ...common,
    startTime: `${(2 * i + 1) * slot}s`,
  };
});
// A threshold per scenario makes k6 keep dropped_iterations per scenario in the summary.
for (const name of Object.keys(scenarios)) {
  thresholds[`dropped_iterations{scenario:${name}}`] = ['count>=0'];
}

export const options = { discardResponseBodies: true, scenarios, thresholds };

export default function () {
  http.get(`${__ENV.URL}/a?s=${exec.scenario.name}&i=${exec.scenario.iterationInTest}`);
}

export function handleSummary(data) {
  const dropped = {};
  for (const name of Object.keys(scenarios)) {
    const m = data.metrics[`dropped_iterations{scenario:${name}}`];
    dropped[name] = m ? m.values.count : 0;
  }
  return { [__ENV.SUMMARY]: JSON.stringify({ dropped }) };
}
