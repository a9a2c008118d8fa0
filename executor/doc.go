// Package executor registers two open-model k6 executors, written against k6's exported executor
// API (lib.RegisterExecutorConfigType, lib/executor.BaseConfig and BaseExecutor,
// lib.ExecutionState, lib.ExecutionTuple):
//
//   - poisson-arrival-rate: arrivals at a constant mean rate with gamma-distributed gaps
//     (burstiness k = 1 is a Poisson process);
//   - ramping-poisson-arrival-rate: the same process with a mean rate that follows stages, like
//     k6's ramping-arrival-rate;
//   - trace-arrival: one arrival at each row of a request trace (package trace), offset from the
//     first row and divided by a speed.
//
// An arrival starts an iteration on a free VU whether or not earlier iterations ended; with no free
// VU it is counted in dropped_iterations and never queued. The arrival times come from the
// k6-agnostic package arrival; every k6 instance generates the whole seeded sequence and starts the
// arrivals whose index falls in its execution segment's stripe, so several instances together start
// exactly the arrivals of one run with the same seed (and, for a trace, every row once). The
// arrival loop and each VU wait with package pacer: on Linux a timerfd, then clock_nanosleep on a
// locked thread for the last 100 µs; a Go timer elsewhere.
//
// Importing the package registers the executors (see register.go at the repository root).
package executor
