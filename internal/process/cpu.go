package process

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the kernel's clock tick for /proc times (USER_HZ): 100 on every Linux architecture Go
// supports.
const userHZ = 100

// HostCPU is the machine's aggregate CPU time (the "cpu" line of /proc/stat).
type HostCPU struct {
	Busy, Total time.Duration
}

// ReadHostCPU reads the machine's CPU times (Linux; an error elsewhere).
func ReadHostCPU() (HostCPU, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return HostCPU{}, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "cpu "); ok {
			return parseHostCPU(rest)
		}
	}
	if err := sc.Err(); err != nil {
		return HostCPU{}, err
	}
	return HostCPU{}, errors.New("/proc/stat: no cpu line")
}

// parseHostCPU reads the fields of /proc/stat's cpu line: user nice system idle iowait irq softirq
// steal (guest and guest_nice are already inside user and nice).
func parseHostCPU(fields string) (HostCPU, error) {
	f := strings.Fields(fields)
	if len(f) < 8 {
		return HostCPU{}, fmt.Errorf("/proc/stat cpu line: %d fields, want at least 8", len(f))
	}
	var t [8]time.Duration
	for i := range t {
		v, err := strconv.ParseUint(f[i], 10, 63)
		if err != nil {
			return HostCPU{}, fmt.Errorf("/proc/stat cpu line: %w", err)
		}
		t[i] = ticks(v)
	}
	idle := t[3] + t[4]
	busy := t[0] + t[1] + t[2] + t[5] + t[6] + t[7]
	return HostCPU{Busy: busy, Total: busy + idle}, nil
}

// BusySince is the machine's busy share (0..1) between prev and h; -1 when no time passed.
func (h HostCPU) BusySince(prev HostCPU) float64 {
	if h.Total <= prev.Total {
		return -1
	}
	return float64(h.Busy-prev.Busy) / float64(h.Total-prev.Total)
}

// CPUTime is a running process's user+system CPU time so far (/proc/PID/stat; Linux).
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseCPUTime(b)
}

// parseCPUTime reads utime and stime (fields 14 and 15) of /proc/PID/stat; the command name (field
// 2, in parentheses) may hold spaces, so the fields are counted after its closing parenthesis.
func parseCPUTime(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("/proc/PID/stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/PID/stat: %d fields after the name, want at least 13", len(f))
	}
	var sum time.Duration
	for _, s := range f[11:13] {
		v, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return 0, fmt.Errorf("/proc/PID/stat: %w", err)
		}
		sum += ticks(v)
	}
	return sum, nil
}

func ticks(n uint64) time.Duration {
	return time.Duration(n) * (time.Second / userHZ) // #nosec G115 -- parsed with bitSize 63: fits an int64
}
