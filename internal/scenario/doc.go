// Package scenario owns the contract of the bundled k6 scenario (examples/featherweight-load.js)
// with the tools that read its results: its identity (the "featherweight" key of its summary), the
// summary itself (read and written with one type, Summary), its threshold expressions (parsed and
// judged once, Threshold) and the names of the metrics it is judged on.
//
// capacity, compare and verdict (the `k6 x featherweight` subcommands) and the development harness
// stand on it. It imports the standard library only: the binding (featherweight/) takes its metric
// names from here without an import cycle.
package scenario
