package featherweight

import (
	"sync"
	"time"

	"go.k6.io/k6/js/modules"
)

// testEndEvent is k6's event.TestEnd, emitted once the scenarios and teardown() have run. k6
// hands extensions its subscriber (modules.VU.Events, marked experimental) but keeps the event
// type in an internal package, so its value is written here: event.TestEnd in k6 v1.8.1
// (internal/event/type.go: Init = 1, TestStart, TestEnd).
const testEndEvent = 3

// openSessions are the sessions of every VU that are connected and not yet closed, so that the
// end of the test closes them (a session outlives its iteration, not the test).
type openSessions struct {
	mu  sync.Mutex
	set map[*session]struct{}
}

func (o *openSessions) add(s *session) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.set == nil {
		o.set = map[*session]struct{}{}
	}
	o.set[s] = struct{}{}
}

func (o *openSessions) remove(s *session) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.set, s)
}

// closeAll closes every open session (the test ended).
func (o *openSessions) closeAll() {
	o.mu.Lock()
	all := o.set
	o.set = nil
	o.mu.Unlock()
	for s := range all {
		s.endedByTest()
	}
}

// watchTestEnd subscribes, once per process, to k6's TestEnd: then every session still open is
// closed and the checkpoint writer writes its last checkpoint and stops. Without an event
// system (k6 inspect, unit tests) nothing is watched.
func (r *RootModule) watchTestEnd(vu modules.VU) {
	r.testEndOnce.Do(func() {
		global := vu.Events().Global
		if global == nil {
			return
		}
		id, events := global.Subscribe(testEndEvent)
		logger := vu.InitEnv().Logger
		go func() {
			defer func() {
				if p := recover(); p != nil {
					logger.Errorf("featherweight: the end-of-test handler panicked: %v", p)
				}
			}()
			for ev := range events {
				if ev.Type == testEndEvent {
					r.testEnded()
				}
				ev.Done()
				if ev.Type == testEndEvent {
					global.Unsubscribe(id)
					return
				}
			}
		}()
	})
}

// testEnded closes the open sessions and stops the checkpoints after a last one.
func (r *RootModule) testEnded() {
	r.sessions.closeAll()
	if c := r.ledger.checkpoints; c != nil {
		c.finish(time.Now())
	}
}
