package exitcode

import "testing"

// Every code means one thing: no two share a number, and each is named.
func TestEveryCodeHasOneMeaning(t *testing.T) {
	t.Parallel()
	codes := []int{Pass, Error, BadInput, NotComparable, Unstable, Incomplete, Failed}
	seen := map[int]bool{}
	for _, c := range codes {
		if seen[c] {
			t.Errorf("code %d is used twice", c)
		}
		seen[c] = true
		if Meaning(c) == Meaning(-1) {
			t.Errorf("code %d has no meaning", c)
		}
	}
	if Failed != 99 || BadInput != 2 || Pass != 0 {
		t.Errorf("0 pass, 2 bad input and 99 judged failed are k6's conventions: %d %d %d", Pass, BadInput, Failed)
	}
}
