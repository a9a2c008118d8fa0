// ramping-poisson-arrival-rate against the e2e recording server: the rate ramps from 0 to 1,000/s
// over 4 s, so the second half of the run should see three times the arrivals of the first.
import http from 'k6/http';
import exec from 'k6/execution';

export const options = {
  discardResponseBodies: true,
  scenarios: {
    ramp: {
      executor: 'ramping-poisson-arrival-rate',
      startRate: 0,
      stages: [{ duration: '4s', target: 1000 }],
      preAllocatedVUs: 40,
      maxVUs: 80,
      seed: 17,
      gracefulStop: '5s',
    },
  },
};

export default function () {
  http.get(`${__ENV.URL}/arrival?run=${__ENV.RUN}&i=${exec.scenario.iterationInTest}`);
}
