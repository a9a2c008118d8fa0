// Package bench runs and reports the client benchmarks: `fwbench sidebyside` (this extension's
// native client vs k6/websockets vs a plain Go client, same fwsim) and `fwbench scale` (how many
// concurrent streams one machine holds). Each run gets its own fwsim recording every turn as the
// ground truth; the client process is sampled from /proc. See docs/BENCHMARKS.md.
package bench
