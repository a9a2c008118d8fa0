// Package fwbench is the development module: the tooling built around the extension (bin/fwbench's
// run, benchmarks and soak, the capacity search, the run comparison, the plain Go reference client,
// the Kubernetes manifest validator), the harness they stand on (package harness) and the
// end-to-end tests (e2e). It is a Go module of its own, requiring fwsim from the same checkout, so
// that its dependencies (plotting, procfs, kubeconform, client_golang) never reach the extension's
// module or users' `xk6 build`.
package fwbench
