// poisson-arrival-rate against the e2e recording server: each iteration sends one GET carrying its
// global arrival index (exec.scenario.iterationInTest), so the server can compare runs.
import http from 'k6/http';
import exec from 'k6/execution';
import { sleep } from 'k6';

const scenario = {
  executor: 'poisson-arrival-rate',
  rate: Number(__ENV.RATE),
  duration: __ENV.DURATION,
  preAllocatedVUs: Number(__ENV.VUS),
  maxVUs: Number(__ENV.MAX_VUS || __ENV.VUS),
  burstiness: Number(__ENV.BURSTINESS || 1),
  gracefulStop: '5s',
};
if (__ENV.SEED) scenario.seed = Number(__ENV.SEED);

export const options = {
  discardResponseBodies: true,
  scenarios: { arrivals: scenario },
};

export default function () {
  http.get(`${__ENV.URL}/arrival?run=${__ENV.RUN}&i=${exec.scenario.iterationInTest}`);
  if (__ENV.SLEEP) sleep(Number(__ENV.SLEEP));
}
