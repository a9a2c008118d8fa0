// Package fwbench is the home of the load-test tooling built around the extension: the capacity
// search, the run comparison and the plain Go reference client. It is a Go module of its own so that
// its dependencies (plotting, for one) never reach the extension's module or users' `xk6 build`.
package fwbench
