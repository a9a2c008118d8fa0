package capacity

import (
	"context"
	"fmt"
	"strings"
)

// VerdictUnstable means that re-running the steps that decided the verdict (Options.Confirm) did
// not give the same verdicts in the majority of the re-runs: the knee is within the run-to-run noise.
const VerdictUnstable Verdict = "unstable"

// Confirmation is the re-runs of the steps that decided a search's verdict (FW_CAPACITY_CONFIRM).
type Confirmation struct {
	// Runs is how often each deciding step was re-run.
	Runs int `json:"runs"`
	// Stable is true when every deciding step gave its verdict in the majority of its re-runs.
	Stable bool `json:"stable"`
	// Checks are the deciding steps: the last passing and the first failing (one of them when the
	// search found no knee below Max, or Min already failed).
	Checks []Check `json:"checks"`
}

// Check is the re-runs of one deciding step.
type Check struct {
	Users int `json:"users"`
	// Expected is the step's verdict in the search: "pass" or "fail".
	Expected string `json:"expected"`
	// Verdicts are the re-runs' verdicts in the order they ran: "pass" or "fail".
	Verdicts []string `json:"verdicts"`
	// Held is true when more than half of the re-runs gave Expected.
	Held bool `json:"held"`
}

const (
	verdictPass = "pass"
	verdictFail = "fail"
)

// agreeing counts the re-runs that gave the expected verdict.
func (c Check) agreeing() int {
	n := 0
	for _, v := range c.Verdicts {
		if v == c.Expected {
			n++
		}
	}
	return n
}

// text is "600 users passed 2 of 3 re-runs (pass, fail, pass)".
func (c Check) text() string {
	verb := "passed"
	if c.Expected == verdictFail {
		verb = "failed"
	}
	return fmt.Sprintf("%d users %s %d of %d re-runs (%s)", c.Users, verb, c.agreeing(), len(c.Verdicts),
		strings.Join(c.Verdicts, ", "))
}

// text lists every check: "600 users passed 3 of 3 re-runs (...); 800 users failed 2 of 3 re-runs (...)".
func (c *Confirmation) text() string {
	parts := make([]string, len(c.Checks))
	for i, ch := range c.Checks {
		parts[i] = ch.text()
	}
	return strings.Join(parts, "; ")
}

// deciding returns the checks the verdict rests on, each with its expected verdict.
func (r *Report) deciding() []Check {
	switch r.Verdict {
	case VerdictKnee:
		return []Check{{Users: r.Capacity, Expected: verdictPass}, {Users: r.Knee, Expected: verdictFail}}
	case VerdictNoKnee:
		return []Check{{Users: r.Capacity, Expected: verdictPass}}
	case VerdictBelowMin:
		return []Check{{Users: r.Knee, Expected: verdictFail}}
	default:
		return nil
	}
}

// confirm re-runs the deciding steps o.Confirm times each, alternating between them so that a
// drift of the machine touches both alike, and turns the verdict into VerdictUnstable when a step
// did not give its verdict in the majority of its re-runs. A re-run that cannot run (budget, k6
// error) leaves the search incomplete.
func (s *searcher) confirm(ctx context.Context) error {
	checks := s.rep.deciding()
	if len(checks) == 0 {
		return nil
	}
	conf := &Confirmation{Runs: s.o.Confirm, Checks: checks}
	s.rep.Confirm = conf
	for i := range s.o.Confirm {
		for j := range conf.Checks {
			c := &conf.Checks[j]
			s.progressf("capacity: confirming %d users (%s in the search), re-run %d of %d\n",
				c.Users, c.Expected, i+1, s.o.Confirm)
			st, err := s.run(ctx, c.Users)
			if err != nil {
				s.rep.Verdict = VerdictIncomplete
				return ignoreBudget(err)
			}
			s.rep.Steps[len(s.rep.Steps)-1].Confirming = true
			v := verdictPass
			if !st.Pass {
				v = verdictFail
			}
			c.Verdicts = append(c.Verdicts, v)
		}
	}
	conf.Stable = true
	for j := range conf.Checks {
		c := &conf.Checks[j]
		c.Held = 2*c.agreeing() > len(c.Verdicts)
		conf.Stable = conf.Stable && c.Held
	}
	s.progressf("capacity: confirmation: %s\n", conf.text())
	if !conf.Stable {
		s.rep.Verdict = VerdictUnstable
	}
	return nil
}

// confirmAnswer is the answer of an unstable search, or the confirmation appended to a stable one.
func (r *Report) confirmAnswer() string {
	c := r.Confirm
	if r.Verdict == VerdictUnstable {
		what := fmt.Sprintf("knee between %d and %d users", r.Capacity, r.Knee)
		switch {
		case r.Knee == 0:
			what = fmt.Sprintf("no knee below %d users", r.Max)
		case r.Capacity == 0:
			what = fmt.Sprintf("capacity below %d users", r.Min)
		}
		return fmt.Sprintf("unstable: the %s did not hold in the majority of %d re-runs: %s", what, c.Runs, c.text())
	}
	return "confirmed: " + c.text()
}
