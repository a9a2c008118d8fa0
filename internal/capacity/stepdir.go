package capacity

import (
	"path/filepath"
	"strconv"
	"strings"
)

// stepDir is OutDir/step-<load>, and step-<load>-run<n> for the n-th run at the same load.
func (k *K6Runner) stepDir(load float64) string {
	if k.runs == nil {
		k.runs = map[float64]int{}
	}
	k.runs[load]++
	dir := filepath.Join(k.OutDir, StepDirName(k.unit(), load))
	if n := k.runs[load]; n > 1 {
		dir += "-run" + strconv.Itoa(n)
	}
	return dir
}

// StepDirName is the directory of a step's first run: step-30 (users), step-12.5 (sessions/s).
func StepDirName(u Unit, load float64) string {
	return "step-" + strings.ReplaceAll(u.number(load), "/", "")
}

func (k *K6Runner) unit() Unit {
	if k.Unit == "" {
		return UnitUsers
	}
	return k.Unit
}
