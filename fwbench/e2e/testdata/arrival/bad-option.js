// One scenario whose options come from the environment (SCENARIO, JSON), to check that each bad
// option stops k6 before anything is sent.
import http from 'k6/http';

export const options = {
  scenarios: { bad: JSON.parse(__ENV.SCENARIO) },
};

export default function () {
  http.get(`${__ENV.URL}/arrival?run=${__ENV.RUN}&i=0`);
}
