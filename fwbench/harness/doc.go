// Package harness is what the development tools and the end-to-end tests stand on. It does four
// jobs, each in one place:
//
//   - start and stop fwsim, wait until it is ready, and read its ground truth and turn timing
//     (fwsim.go; the wire types are fwsim's own, imported from its module);
//   - run k6 (or any tool process) with a graceful stop, and read k6's summary (process.go, summary.go);
//   - sample a process's CPU time, memory and open files, and the machine's CPU, from /proc with
//     github.com/prometheus/procfs (proc.go);
//   - start a throwaway Prometheus (prometheus.go).
package harness
