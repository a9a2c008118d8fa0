package capacity

import (
	"path/filepath"
	"strconv"
)

// stepDir is OutDir/step-<users>, and step-<users>-run<n> for the n-th run at the same users.
func (k *K6Runner) stepDir(users int) string {
	if k.runs == nil {
		k.runs = map[int]int{}
	}
	k.runs[users]++
	dir := filepath.Join(k.OutDir, "step-"+strconv.Itoa(users))
	if n := k.runs[users]; n > 1 {
		dir += "-run" + strconv.Itoa(n)
	}
	return dir
}
