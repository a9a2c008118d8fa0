// Package harness holds what the tooling and the end-to-end tests share: starting the processes a run
// needs (Prometheus, and the reference backend), running k6 and reading what it wrote, and the types
// they exchange.
package harness
