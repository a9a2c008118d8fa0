// The requirement as first written: "checks{type:hz}.avg>95". k6 rejects it before the test starts
// (checks is a Rate; avg is not a Rate aggregation), which is why the bundled scenario expresses it as
// fw_loop_hz avg>95 plus a checks{type:hz} rate threshold. e2e/scenario_test.go asserts the rejection.
export const options = {
  iterations: 1,
  thresholds: { 'checks{type:hz}': ['avg>95'] },
};

export default function () {}
