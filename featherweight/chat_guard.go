package featherweight

import (
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/featherweight/xk6-featherweight/chatws"
	"github.com/featherweight/xk6-featherweight/failure"
)

// panicLogged makes the stack of a turn panic logged once per process: a bug that hits every
// turn must not flood the log.
var panicLogged sync.Once //nolint:gochecknoglobals // process-wide by design: one stack for all VUs and runs

// turnHook, when set (by tests only), runs with the prompt just before a turn's frames are
// exchanged, inside the panic guard.
var turnHook atomic.Pointer[func(prompt string)] //nolint:gochecknoglobals // test seam; nil (a no-op) in k6

func runTurnHook(prompt string) {
	if h := turnHook.Load(); h != nil {
		(*h)(prompt)
	}
}

// recoverTurn, deferred in a turn's goroutine, turns a panic into a failed turn of kind
// "internal": it is counted like any failed turn, its result is stored in *out, and the stack is
// logged once. A panic in a turn must never crash the k6 run.
func (c *chatCall) recoverTurn(out *map[string]any) {
	r := recover()
	if r == nil {
		return
	}
	panicLogged.Do(func() {
		if c.logger != nil {
			c.logger.Errorf("featherweight: internal error in a chat turn (counted as error_kind=internal; "+
				"further occurrences are not logged): %v\n%s", r, debug.Stack())
		}
	})
	res := chatws.Result{
		Err:          &chatws.Error{Kind: failure.KindInternal, Msg: fmt.Sprintf("internal error in the chat client: %v", r)},
		Start:        time.Now(),
		TokensSource: chatws.TokensFrames,
	}
	func() {
		// The first panic may have come from emitting itself: a second one is logged, never lost.
		defer func() {
			if r := recover(); r != nil && c.logger != nil {
				c.logger.Errorf("featherweight: internal error emitting an internal error's metrics "+
					"(the turn is not counted): %v\n%s", r, debug.Stack())
			}
		}()
		c.emitTurn(&res)
	}()
	*out = resultObject(&res)
}
