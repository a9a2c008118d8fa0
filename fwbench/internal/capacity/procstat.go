package capacity

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc CPU times (100 on every Linux this runs on).
const clockTicks = 100

// hostCPU is a /proc/stat "cpu" line: busy and total jiffies.
type hostCPU struct{ busy, total uint64 }

// readHostCPU reads the machine's aggregate CPU times; false where /proc/stat is unavailable.
func readHostCPU() (hostCPU, bool) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return hostCPU{}, false
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return hostCPU{}, false
	}
	var h hostCPU
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return hostCPU{}, false
		}
		if i >= 8 { // guest and guest_nice are already counted in user and nice
			break
		}
		h.total += v
		if i != 3 && i != 4 { // idle, iowait
			h.busy += v
		}
	}
	return h, true
}

// busySince is the busy share (0..1) between two readings.
func (h hostCPU) busySince(prev hostCPU) float64 {
	if h.total <= prev.total {
		return -1
	}
	return float64(h.busy-prev.busy) / float64(h.total-prev.total)
}

// procCPU returns a process's user+system CPU time from /proc/PID/stat (0 if unknown).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count fields after its closing parenthesis.
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw)[i+1:])
	if len(f) < 13 {
		return 0
	}
	// utime and stime are clock ticks (non-negative, far below int64's range).
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || utime < 0 || stime < 0 {
		return 0
	}
	return time.Duration(utime+stime) * (time.Second / clockTicks)
}
