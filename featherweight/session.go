package featherweight

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/js/promises"

	"github.com/featherweight/xk6-featherweight/chatws"
	"github.com/featherweight/xk6-featherweight/failure"
)

// session is the state behind the object fw.connect returns (see sessionObject).
type session struct {
	sessionProps // the JS object's own properties
	mi           *ModuleInstance
	base         *chatCall
	conn         *chatws.Conn // nil when the connect failed
	busy         atomic.Bool
	stop         func() bool
}

// connect implements fw.connect(url, params?): a session for several turns, one at a time.
func (mi *ModuleInstance) connect(url, params sobek.Value) *sobek.Object {
	c := mi.prepare(url, sobek.Undefined(), params, false)
	rt := mi.vu.Runtime()
	s := &session{mi: mi, base: c}
	conn, failed := c.dial(c.dialOptions(mi.vu.State()))
	connected, connErr := true, sobek.Null()
	if failed != nil {
		c.emitTurn(failed)
		connected, connErr = false, rt.ToValue(errorObject(failed.Err))
	} else {
		s.conn = conn
		s.stop = context.AfterFunc(c.ctx, func() { _ = conn.Close() })
	}
	protocol, _ := c.tags.Tags.Get("protocol")
	s.sessionProps = sessionProps{
		{"connected", rt.ToValue(connected)}, {"error", connErr}, {"protocol", rt.ToValue(protocol)},
	}
	return mi.sessionObject(s)
}

// turnCall prepares one turn on the JS thread: it checks the prompt and the send-level params
// and takes the tags current now (the VU's tags and group, then the connect-level and the
// send-level tags), as k6/http does per request.
func (s *session) turnCall(promptArg, params sobek.Value) (*chatCall, chatws.TurnOptions) {
	rt := s.mi.vu.Runtime()
	state := s.mi.vu.State()
	if state == nil {
		common.Throw(rt, errInitContext)
	}
	prompt, err := promptValue(promptArg)
	if err != nil {
		common.Throw(rt, err)
	}
	p, err := parseChatParams(rt, params, false)
	if err != nil {
		common.Throw(rt, err)
	}
	c := *s.base
	c.ctx = s.mi.vu.Context()
	c.prompt = prompt
	merged := *s.base.params
	if p.sloTTFT > 0 {
		merged.sloTTFT = p.sloTTFT
	}
	if p.sloTPOT > 0 {
		merged.sloTPOT = p.sloTPOT
	}
	c.params = &merged
	if err := c.setTags(rt, state, s.base.params.tags, p.tags); err != nil {
		common.Throw(rt, err)
	}
	return &c, chatws.TurnOptions{Timeouts: p.timeouts, KeepTextBytes: p.keepText}
}

// runTurn runs one turn of the session and emits it; a panic becomes a failed "internal" turn.
func (s *session) runTurn(c *chatCall, o chatws.TurnOptions) (out map[string]any) {
	defer c.recoverTurn(&out)
	var res chatws.Result
	if s.conn == nil {
		res = chatws.Result{
			Err:          &chatws.Error{Kind: failure.KindClosed, Msg: "session is not connected"},
			TokensSource: chatws.TokensFrames,
		}
	} else {
		o.ITLSink = c.itlSink()
		runTurnHook(c.prompt)
		res = s.conn.Turn(c.ctx, c.prompt, o)
	}
	c.emitTurn(&res)
	return resultObject(&res)
}

var errSessionBusy = errors.New(
	"session busy: a session runs one turn at a time; await the previous sendAsync() before sending again")

func (s *session) send(prompt, params sobek.Value) sobek.Value {
	rt := s.mi.vu.Runtime()
	c, o := s.turnCall(prompt, params)
	if !s.busy.CompareAndSwap(false, true) {
		common.Throw(rt, errSessionBusy)
	}
	defer s.busy.Store(false)
	return rt.ToValue(s.runTurn(c, o))
}

func (s *session) sendAsync(prompt, params sobek.Value) *sobek.Promise {
	c, o := s.turnCall(prompt, params)
	p, resolve, reject := promises.New(s.mi.vu)
	if !s.busy.CompareAndSwap(false, true) {
		reject(errSessionBusy)
		return p
	}
	go func() {
		out := s.runTurn(c, o) // never panics: runTurn recovers
		// The session is free before the promise resolves: a send() in the .then() (or right
		// after the await) must not find it busy.
		s.busy.Store(false)
		resolve(out)
	}()
	return p
}

func (s *session) close() {
	if s.conn != nil {
		_ = s.conn.Close()
	}
	if s.stop != nil {
		s.stop()
	}
}
