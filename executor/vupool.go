package executor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"go.k6.io/k6/errext"
	"go.k6.io/k6/errext/exitcodes"
	"go.k6.io/k6/lib"

	"github.com/featherweight/xk6-featherweight/executor/pacer"
)

// iterationIndex is the pair k6 exposes as exec.scenario.iterationInInstance and
// exec.scenario.iterationInTest: the instance's own count and the global arrival index.
type iterationIndex struct {
	local, global uint64
	due           time.Time // when the VU starts it (zero: at once); handed to it a little earlier
}

// vuPool runs arrivals on activated VUs. A VU waits on start; an arrival is handed to a waiting VU
// or, when none waits, reported as dropped by tryStart: arrivals are never queued.
type vuPool struct {
	es     *lib.ExecutionState
	logger *logrus.Entry
	start  chan iterationIndex

	// iterCtx ends when iterations must stop (end of gracefulStop or an abort); an iteration
	// that ends after it is counted as interrupted.
	iterCtx context.Context //nolint:containedctx // the pool's lifetime is one Run
	abort   func(error)

	running   atomic.Int64   // VUs handed an arrival and not yet done with it
	activated atomic.Int64   // VUs activated so far
	loops     sync.WaitGroup // VU loops still running (until stop and their iteration ends)
	vus       sync.WaitGroup // VUs not yet returned to k6
}

func newVUPool(iterCtx context.Context, es *lib.ExecutionState, logger *logrus.Entry, abort func(error)) *vuPool {
	return &vuPool{
		es: es, logger: logger, start: make(chan iterationIndex),
		iterCtx: iterCtx, abort: abort,
	}
}

// handoffWait bounds how long tryStart waits for a VU that has finished its iteration but is not
// yet back waiting for the next one (on a loaded machine its goroutine may not have run yet).
const handoffWait = 2 * time.Millisecond

// tryStart hands idx to a waiting VU; false means every VU is busy. The arrival is never queued:
// tryStart only waits, at most handoffWait, when a VU is known to be free but not yet waiting.
func (p *vuPool) tryStart(idx iterationIndex, timer *time.Timer) bool {
	p.running.Add(1) // counted before the handoff, so the VU's decrement can never come first
	select {
	case p.start <- idx:
		return true
	default:
	}
	if p.running.Load() > p.activated.Load() {
		p.running.Add(-1)
		return false
	}
	timer.Reset(handoffWait)
	defer timer.Stop()
	select {
	case p.start <- idx:
		return true
	case <-timer.C:
		p.running.Add(-1)
		return false
	}
}

// activate activates vu for the scenario and runs its loop until stop is done. The VU goes back
// to k6's buffer when iterCtx ends (k6 deactivates it then); wait returns after that.
func (p *vuPool) activate(vu lib.InitializedVU, params lib.VUActivationParams, stop <-chan struct{}) {
	var current atomic.Pointer[iterationIndex]
	params.RunContext = p.iterCtx
	params.GetNextIterationCounters = func() (uint64, uint64) {
		if idx := current.Load(); idx != nil {
			return idx.local, idx.global
		}
		return 0, 0
	}
	p.vus.Add(1)
	params.DeactivateCallback = func(v lib.InitializedVU) {
		p.es.ReturnVU(v, false)
		p.vus.Done()
	}
	active := vu.Activate(&params)
	p.activated.Add(1)
	p.loops.Add(1)
	ready := make(chan struct{})
	go p.loop(active, &current, stop, ready)
	<-ready // returns once the loop runs: a VU counted as activated is about to take arrivals
}

// loop runs the arrivals handed to vu until stop is closed or an iteration panicked. The channel
// ready is closed as the loop begins: on a loaded machine a new goroutine can wait milliseconds
// to run, longer than tryStart waits for a VU it counts as free, and the run's first arrivals
// would be dropped with VUs idle.
func (p *vuPool) loop(
	vu lib.ActiveVU, current *atomic.Pointer[iterationIndex], stop <-chan struct{}, ready chan<- struct{},
) {
	defer p.loops.Done()
	close(ready)
	for {
		select {
		case <-stop:
			return
		case idx := <-p.start:
			if !idx.due.IsZero() {
				// An ended iterCtx ends the wait; run then counts the iteration as interrupted.
				_ = pacer.SleepUntil(p.iterCtx, idx.due)
			}
			current.Store(&idx)
			if !p.run(vu) {
				return
			}
		}
	}
}

// run runs one iteration and accounts for it as k6's own executors do. It returns false when the
// iteration panicked: the panic aborts the run (its error, with the stack logged, is the scenario's
// result and k6 exits with code 109, a Go panic) and the VU is not used again.
func (p *vuPool) run(vu lib.ActiveVU) bool {
	defer p.running.Add(-1)
	p.es.ModCurrentlyActiveVUsCount(+1)
	err := runOnce(vu)
	p.es.ModCurrentlyActiveVUsCount(-1)

	if pe, ok := errors.AsType[*panicError](err); ok {
		p.es.AddInterruptedIterations(1)
		p.logger.WithField("source", "stacktrace").Errorf("%v\n%s", pe, pe.stack)
		p.abort(errext.WithExitCodeIfNone(pe, exitcodes.GoPanic))
		return false
	}
	if p.iterCtx.Err() != nil {
		p.es.AddInterruptedIterations(1)
		return true
	}
	if err != nil && errext.IsInterruptError(err) {
		p.es.AddInterruptedIterations(1)
		p.abort(err)
		return true
	}
	if err != nil {
		if exception, ok := errors.AsType[errext.Exception](err); ok {
			p.logger.WithField("source", "stacktrace").Error(exception.StackTrace())
		} else {
			p.logger.Error(err.Error())
		}
	}
	p.es.AddFullIterations(1)
	return true
}

// panicError is a recovered panic (a bug in k6, an extension or this executor) that aborts the run.
type panicError struct {
	where string // what panicked: "a VU iteration"
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("open-model executor: %s panicked: %v", e.where, e.value)
}

// runOnce runs vu.RunOnce and returns a panic in it as a *panicError.
func runOnce(vu lib.ActiveVU) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{where: "a VU iteration", value: r, stack: debug.Stack()}
		}
	}()
	return vu.RunOnce()
}

// drained is closed once every VU loop has seen stop and finished its iteration.
func (p *vuPool) drained() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		p.loops.Wait()
		close(done)
	}()
	return done
}

// wait blocks until every activated VU has been deactivated and returned to k6 and every VU loop
// has ended (so nothing calls abort any more).
func (p *vuPool) wait() {
	p.vus.Wait()
	p.loops.Wait()
}
