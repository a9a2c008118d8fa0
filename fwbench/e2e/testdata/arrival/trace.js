// trace-arrival against the e2e recording server: each iteration checks that fw.traceRow() is the
// row of its iterationInTest and sends one GET carrying that index, so the server can compare runs.
import http from 'k6/http';
import exec from 'k6/execution';
import fw from 'k6/x/featherweight';

const scenario = {
  executor: 'trace-arrival',
  trace: __ENV.TRACE,
  speed: Number(__ENV.SPEED || 1),
  preAllocatedVUs: Number(__ENV.VUS || 20),
  gracefulStop: '5s',
};
if (__ENV.FORMAT) scenario.format = __ENV.FORMAT;

export const options = {
  discardResponseBodies: true,
  scenarios: { replay: scenario },
};

export default function () {
  const row = fw.traceRow();
  if (row.index !== exec.scenario.iterationInTest) {
    throw new Error(`row ${row.index} in iteration ${exec.scenario.iterationInTest}`);
  }
  http.get(`${__ENV.URL}/arrival?run=${__ENV.RUN}&i=${row.index}&in=${row.inputTokens}`);
}
