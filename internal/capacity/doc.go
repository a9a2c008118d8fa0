// Package capacity searches for the largest number of concurrent users at which a backend still
// meets every threshold of the bundled k6 scenario, and reports it (JSON, a table, one answer line
// and a chart).
//
// Each step is one short `k6 run` of the scenario itself with FW_VUS set to the step's users: the
// verdicts are k6's own (the thresholds in the script, its exit code and its handleSummary JSON),
// never a copy of them. See docs/capacity.md.
package capacity
