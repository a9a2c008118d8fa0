package bench

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/prometheus/procfs"
)

// MachineLine is one line describing this machine and how busy it is, for a benchmark's table.
func MachineLine() string {
	model, mem := "unknown CPU", "unknown memory"
	if fs, err := procfs.NewDefaultFS(); err == nil {
		if ci, err := fs.CPUInfo(); err == nil && len(ci) > 0 {
			model = ci[0].ModelName
		}
		if mi, err := fs.Meminfo(); err == nil && mi.MemTotal != nil {
			mem = fmt.Sprintf("%.0f GiB", float64(*mi.MemTotal)/1048576)
		}
	}
	kernel := readOr("/proc/sys/kernel/ostype", runtime.GOOS) + " " + readOr("/proc/sys/kernel/osrelease", "")
	kernel = strings.TrimSpace(kernel)
	load := "unknown"
	if fs, err := procfs.NewDefaultFS(); err == nil {
		if l, err := fs.LoadAvg(); err == nil {
			load = fmt.Sprintf("%.2f %.2f %.2f", l.Load1, l.Load5, l.Load15)
		}
	}
	return fmt.Sprintf("Machine: %d CPUs (%s), %s, %s, %s; load average at the end: %s.",
		runtime.NumCPU(), model, mem, kernel, runtime.Version(), load)
}

func readOr(path, dflt string) string {
	b, err := os.ReadFile(path) // #nosec G304 -- a fixed /proc path
	if err != nil {
		return dflt
	}
	return strings.TrimSpace(string(b))
}
