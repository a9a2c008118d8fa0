// Package exitcode is the one exit-code vocabulary of the featherweight tools (docs/tools.md): the
// k6 x featherweight subcommands and the development commands. 0 passes, 99 is a judged failure as
// k6 exits when a threshold fails, 2 is input that cannot be used; the others belong to one tool
// each and mean nothing else anywhere.
package exitcode

// The exit codes.
const (
	// Pass: the run, the comparison or the search passed.
	Pass = 0
	// Error: the tool could not finish its work for another reason than its input (a report it could
	// not write, a process it could not run).
	Error = 1
	// BadInput: a usage error, a file that is not a summary of the bundled scenario, a run that
	// cannot be judged (never a pass).
	BadInput = 2
	// NotComparable (compare): the summaries are of different scenarios, profiles or arrival models.
	NotComparable = 3
	// Unstable (capacity): the verdict did not hold in the majority of its re-runs.
	Unstable = 4
	// Incomplete (capacity): the search ended before a verdict (time budget, k6 error, interrupted).
	Incomplete = 5
	// Failed: judged failed, as k6 exits when a threshold fails: a regression (compare), a threshold
	// of the merged run (verdict), a capacity below the required one (capacity).
	Failed = 99
)

// Meaning names a code in a few words, for logs.
func Meaning(code int) string {
	switch code {
	case Pass:
		return "passed"
	case Error:
		return "the tool could not finish"
	case BadInput:
		return "bad input"
	case NotComparable:
		return "runs not comparable"
	case Unstable:
		return "unstable verdict"
	case Incomplete:
		return "search ended early"
	case Failed:
		return "judged failed"
	}
	return "unknown code"
}
