package featherweight

import (
	"errors"
	"sync/atomic"
	"time"

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
	closed       atomic.Bool // close() was called, or the test ended
	byTest       atomic.Bool // the end of the test closed it
}

// A session outlives the iteration that opened it, as k6's gRPC client keeps its connection: a
// session kept in a VU-level variable stays open across iterations until close(), until the
// server closes it or a turn breaks it, or until the k6 process ends. A turn in flight still ends
// with its iteration (gracefulStop, an interrupt): chatws closes the socket of a cancelled turn,
// and the session then reports connected false. A send on a session that is not connected is
// never a backend failure: it returns a failed result of kind closed and counts nothing (the
// failed connect, or the turn that broke the socket, was counted when it happened).

// isConnected is the truth behind session.connected.
func (s *session) isConnected() bool {
	return s.conn != nil && !s.closed.Load() && s.conn.Usable()
}

// notConnected is the result of a send on a session that is not connected, with the reason.
func (s *session) notConnected() chatws.Result {
	msg := "session is not connected: its connect failed"
	switch {
	case s.byTest.Load():
		msg = "session was closed at the end of the test"
	case s.closed.Load():
		msg = "session was closed by close()"
	case s.conn != nil:
		msg = "session's connection is gone (closed by the server, or broken by an interrupted or failed turn): connect again"
	}
	return chatws.Result{
		Start: time.Now(), Err: &chatws.Error{Kind: failure.KindClosed, Msg: msg}, TokensSource: chatws.TokensFrames,
	}
}

// Get implements sobek.DynamicObject: connected is read live; the other properties are the
// session's own.
func (s *session) Get(key string) sobek.Value {
	if key == "connected" && s.Has(key) {
		return s.mi.vu.Runtime().ToValue(s.isConnected())
	}
	return s.sessionProps.Get(key)
}

// Set implements sobek.DynamicObject: connected cannot be assigned (it always tells the truth).
func (s *session) Set(key string, val sobek.Value) bool {
	if key == "connected" && s.Has(key) {
		return false
	}
	return s.sessionProps.Set(key, val)
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
		mi.sessions.add(s)
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
	if !s.isConnected() {
		res := s.notConnected()
		return resultObject(&res)
	}
	o.ITLSink = c.itlSink()
	runTurnHook(c.prompt)
	res := s.conn.Turn(c.ctx, c.prompt, o)
	if s.closed.Load() && res.Err != nil && res.Err.Kind == failure.KindClosed {
		// close() ended the turn (a sendAsync in flight): the script's doing, not the backend's.
		res = s.notConnected()
		return resultObject(&res)
	}
	c.emitTurn(&res)
	if !s.conn.Usable() {
		s.mi.sessions.remove(s)
		_ = s.conn.Close() // the turn broke the socket: release it now
	}
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
	s.closed.Store(true)
	if s.conn != nil {
		s.mi.sessions.remove(s)
		_ = s.conn.Close()
	}
}

// endedByTest closes the session at the end of the test (k6's TestEnd).
func (s *session) endedByTest() {
	s.byTest.Store(true)
	s.closed.Store(true)
	_ = s.conn.Close()
}
