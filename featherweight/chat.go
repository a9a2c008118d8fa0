package featherweight

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/js/promises"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/chatws"
)

// errInitContext is thrown when the chat API is used outside a VU's iteration.
var errInitContext = errors.New("featherweight chat functions can only be called from VU code, not in the init context")

// chatCall is everything a turn needs that must be read on the JS thread, so that the turn
// itself can run on another goroutine.
type chatCall struct {
	ctx     context.Context
	url     string
	prompt  string
	params  *chatParams
	samples chan<- metrics.SampleContainer
	m       *fwMetrics
	tags    metrics.TagsAndMeta
	sys     *metrics.SystemTagSet
}

// prepare parses connect-level params and captures VU state and tags; it throws on bad options
// or in the init context.
func (mi *ModuleInstance) prepare(url, prompt string, params sobek.Value) *chatCall {
	rt := mi.vu.Runtime()
	state := mi.vu.State()
	if state == nil {
		common.Throw(rt, errInitContext)
	}
	p, err := parseChatParams(rt, params, true)
	if err != nil {
		common.Throw(rt, err)
	}
	tm := state.Tags.GetCurrentValues()
	if err := common.ApplyCustomUserTags(rt, &tm, p.tags); err != nil {
		common.Throw(rt, err)
	}
	c := &chatCall{
		ctx: mi.vu.Context(), url: url, prompt: prompt, params: p,
		samples: state.Samples, m: mi.metrics, tags: tm, sys: state.Options.SystemTags,
	}
	if name, ok := tm.Tags.Get(metrics.TagName.String()); ok {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagURL, name)
	} else {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagURL, url)
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagName, url)
	}
	name := p.protocol.Name
	if name == "" {
		name = chatws.ProtoFeatherweight
	}
	c.tags.SetTag("protocol", name)
	return c
}

// dialOptions builds chatws options that dial through the VU's Dialer and TLS config, as k6's
// websockets module does (blockHostnames, hosts, data_sent/data_received, insecureSkipTLSVerify).
func dialOptions(state *lib.State, p *chatParams) chatws.Options {
	o := chatws.Options{
		Headers:        p.headers,
		Subprotocols:   p.subprotocols,
		Protocol:       p.protocol,
		Timeouts:       p.timeouts,
		MaxFrameBytes:  p.maxFrame,
		KeepTextBytes:  max(p.keepText, 0),
		NetDialContext: state.Dialer.DialContext,
		Proxy:          http.ProxyFromEnvironment,
	}
	if state.TLSConfig != nil {
		o.TLSConfig = state.TLSConfig.Clone()
		o.TLSConfig.NextProtos = []string{"http/1.1"}
	}
	if ua := state.Options.UserAgent; ua.Valid && ua.String != "" {
		if o.Headers == nil {
			o.Headers = http.Header{}
		}
		if o.Headers.Get("User-Agent") == "" {
			o.Headers.Set("User-Agent", ua.String)
		}
	}
	return o
}

// dial connects and emits fw_chat_connecting (one per attempt); on failure it returns the failure
// as a Result for the caller to count as a failed turn.
func (c *chatCall) dial(opts chatws.Options) (*chatws.Conn, *chatws.Result) {
	conn, info, err := chatws.Dial(c.ctx, c.url, opts)
	if info.Start.IsZero() {
		info.Start = time.Now()
	}
	if info.Status != 0 {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagStatus, strconv.Itoa(info.Status))
	}
	if info.RemoteIP != "" {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagIP, info.RemoteIP)
	}
	if conn != nil {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagSubproto, info.Subprotocol)
	}
	c.push(info.Start, metrics.Sample{ // one per connect attempt, failed or not
		TimeSeries: metrics.TimeSeries{Metric: c.m.ChatConnecting, Tags: c.tags.Tags},
		Value:      metrics.D(info.Connecting),
	})
	if err != nil {
		var ce *chatws.Error
		if !errors.As(err, &ce) {
			ce = &chatws.Error{Kind: chatws.ErrConnect, Msg: err.Error()}
		}
		res := chatws.Result{Err: ce, Start: info.Start, TokensSource: "frames"}
		return nil, &res
	}
	return conn, nil
}

func (c *chatCall) push(t time.Time, samples ...metrics.Sample) {
	for i := range samples {
		samples[i].Time = t
		samples[i].Metadata = c.tags.Metadata
	}
	metrics.PushIfNotDone(c.ctx, c.samples, metrics.ConnectedSamples{Samples: samples, Tags: c.tags.Tags, Time: t})
}

// runOneShot is chat(): connect, one turn, close. Safe off the JS thread.
func (c *chatCall) runOneShot(opts chatws.Options) map[string]any {
	conn, failed := c.dial(opts)
	if failed != nil {
		c.emitTurn(failed)
		return resultObject(failed)
	}
	defer func() { _ = conn.Close() }()
	res := conn.Turn(c.ctx, c.prompt, chatws.TurnOptions{})
	c.emitTurn(&res)
	return resultObject(&res)
}

// chat implements fw.chat(url, prompt, params?): a blocking one-shot turn.
func (mi *ModuleInstance) chat(url, prompt string, params sobek.Value) sobek.Value {
	c := mi.prepare(url, prompt, params)
	out := c.runOneShot(dialOptions(mi.vu.State(), c.params))
	return mi.vu.Runtime().ToValue(out)
}

// chatAsync implements fw.chatAsync(url, prompt, params?): the turn runs on its own goroutine and
// the promise resolves on the event loop, so one VU can drive several streams.
func (mi *ModuleInstance) chatAsync(url, prompt string, params sobek.Value) *sobek.Promise {
	c := mi.prepare(url, prompt, params)
	opts := dialOptions(mi.vu.State(), c.params)
	p, resolve, _ := promises.New(mi.vu)
	go func() { resolve(c.runOneShot(opts)) }()
	return p
}

// session is the object fw.connect returns.
type session struct {
	mi   *ModuleInstance
	base *chatCall
	conn *chatws.Conn // nil when the connect failed
	busy atomic.Bool
	stop func() bool
}

// connect implements fw.connect(url, params?): a session for several turns, one at a time.
func (mi *ModuleInstance) connect(url string, params sobek.Value) *sobek.Object {
	c := mi.prepare(url, "", params)
	rt := mi.vu.Runtime()
	s := &session{mi: mi, base: c}
	conn, failed := c.dial(dialOptions(mi.vu.State(), c.params))
	obj := rt.NewObject()
	if failed != nil {
		c.emitTurn(failed)
		_ = obj.Set("connected", false)
		_ = obj.Set("error", errorObject(failed.Err))
	} else {
		s.conn = conn
		s.stop = context.AfterFunc(c.ctx, func() { _ = conn.Close() })
		_ = obj.Set("connected", true)
		_ = obj.Set("error", nil)
	}
	protocol, _ := c.tags.Tags.Get("protocol")
	_ = obj.Set("protocol", protocol)
	_ = obj.Set("send", s.send)
	_ = obj.Set("sendAsync", s.sendAsync)
	_ = obj.Set("close", s.close)
	return obj
}

// turnCall prepares one turn on the JS thread.
func (s *session) turnCall(prompt string, params sobek.Value) (*chatCall, chatws.TurnOptions) {
	rt := s.mi.vu.Runtime()
	if s.mi.vu.State() == nil {
		common.Throw(rt, errInitContext)
	}
	p, err := parseChatParams(rt, params, false)
	if err != nil {
		common.Throw(rt, err)
	}
	c := *s.base
	c.ctx = s.mi.vu.Context()
	c.prompt = prompt
	c.tags = s.base.tags.Clone()
	if err := common.ApplyCustomUserTags(rt, &c.tags, p.tags); err != nil {
		common.Throw(rt, err)
	}
	merged := *s.base.params
	if p.sloTTFT > 0 {
		merged.sloTTFT = p.sloTTFT
	}
	if p.sloTPOT > 0 {
		merged.sloTPOT = p.sloTPOT
	}
	c.params = &merged
	return &c, chatws.TurnOptions{Timeouts: p.timeouts, KeepTextBytes: p.keepText}
}

func (s *session) runTurn(c *chatCall, o chatws.TurnOptions) map[string]any {
	var res chatws.Result
	if s.conn == nil {
		res = chatws.Result{
			Err:          &chatws.Error{Kind: chatws.ErrClosed, Msg: "session is not connected"},
			TokensSource: "frames",
		}
	} else {
		res = s.conn.Turn(c.ctx, c.prompt, o)
	}
	c.emitTurn(&res)
	return resultObject(&res)
}

var errSessionBusy = errors.New("session busy: a session runs one turn at a time; await the previous sendAsync() before sending again")

func (s *session) send(prompt string, params sobek.Value) sobek.Value {
	rt := s.mi.vu.Runtime()
	c, o := s.turnCall(prompt, params)
	if !s.busy.CompareAndSwap(false, true) {
		common.Throw(rt, errSessionBusy)
	}
	defer s.busy.Store(false)
	return rt.ToValue(s.runTurn(c, o))
}

func (s *session) sendAsync(prompt string, params sobek.Value) *sobek.Promise {
	c, o := s.turnCall(prompt, params)
	p, resolve, reject := promises.New(s.mi.vu)
	if !s.busy.CompareAndSwap(false, true) {
		reject(errSessionBusy)
		return p
	}
	go func() {
		defer s.busy.Store(false)
		resolve(s.runTurn(c, o))
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
