package harness

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/procfs"
)

// ProcSample is one reading of a process from /proc (github.com/prometheus/procfs: CPU times in
// the kernel's USER_HZ, which procfs takes as 100 as every Linux does).
type ProcSample struct {
	At       time.Time     `json:"at"`
	CPU      time.Duration `json:"cpu_ns"`    // user+system CPU time since the process started
	RSS      uint64        `json:"rss_bytes"` // resident memory now (VmRSS)
	PeakRSS  uint64        `json:"hwm_bytes"` // peak resident memory so far (VmHWM)
	FDs      int           `json:"fds"`       // open file descriptors
	Threads  int           `json:"threads"`   // OS threads
	Finished bool          `json:"finished"`  // the process is a zombie: exited, not yet waited for
}

// ErrNoProcess is matched by the error of ReadProc when the process does not exist (any more).
var ErrNoProcess = errors.New("no such process")

// ReadProc samples the process pid once.
func ReadProc(pid int) (ProcSample, error) {
	s := ProcSample{At: time.Now()}
	p, err := procfs.NewProc(pid)
	if err != nil {
		return s, errors.Join(ErrNoProcess, err)
	}
	st, err := p.Stat()
	if err != nil {
		return s, errors.Join(ErrNoProcess, err)
	}
	s.CPU = time.Duration(st.CPUTime() * float64(time.Second))
	s.Threads = st.NumThreads
	s.Finished = st.State == "Z"
	if status, err := p.NewStatus(); err == nil {
		s.RSS, s.PeakRSS = status.VmRSS, status.VmHWM
	}
	if n, err := p.FileDescriptorsLen(); err == nil {
		s.FDs = n
	}
	return s, nil
}

// Sampler reads a process every interval until it exits or Stop is called.
type Sampler struct {
	mu      sync.Mutex
	samples []ProcSample
	stop    context.CancelFunc
	done    chan struct{}
}

// SampleProcess starts sampling pid every interval (the first sample at once). A process that has
// exited (or become a zombie), ctx's end or Stop ends the sampling.
func SampleProcess(ctx context.Context, pid int, every time.Duration) *Sampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &Sampler{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer func() { _ = recover() }() // a sampler that breaks loses samples, never the run
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			p, err := ReadProc(pid)
			if err != nil || p.Finished {
				return
			}
			s.mu.Lock()
			s.samples = append(s.samples, p)
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends the sampling and returns every sample taken.
func (s *Sampler) Stop() []ProcSample {
	s.stop()
	<-s.done
	return s.Samples()
}

// Samples returns the samples taken so far.
func (s *Sampler) Samples() []ProcSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ProcSample(nil), s.samples...)
}

// LoadAverage is the machine's 1-minute load average (0 when unknown).
func LoadAverage() float64 {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0
	}
	l, err := fs.LoadAvg()
	if err != nil {
		return 0
	}
	return l.Load1
}
