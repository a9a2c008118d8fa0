package featherweight

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/js/promises"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/netext"
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/chatws"
	"github.com/featherweight/xk6-featherweight/failure"
)

// errInitContext is thrown when the chat API is used outside a VU's iteration.
var errInitContext = errors.New("featherweight chat functions can only be called from VU code, not in the init context")

// chatCall is everything a turn needs that must be read on the JS thread, so that the turn
// itself can run on another goroutine.
type chatCall struct {
	ctx     context.Context
	target  *chatURL
	prompt  string
	params  *chatParams
	samples chan<- metrics.SampleContainer
	m       *fwMetrics
	tags    metrics.TagsAndMeta
	sys     *metrics.SystemTagSet
	conn    connTags        // what the dial learned, for the tags of a session's later turns
	logger  errorLogger     // the VU's logger, for the stack of a panic
	buffers *sync.Pool      // WebSocket write buffers shared by all connections (RootModule)
	ledger  *runLedger      // the run's ledger (RootModule)
	runTags *metrics.TagSet // the tags of the sketch gauges (trends: 'sketch')
}

// connTags are the system tags a dial sets (empty: not known).
type connTags struct {
	status, ip, subproto string
	connected            bool
}

// errorLogger is the part of the VU's logger (logrus.FieldLogger) a turn uses.
type errorLogger interface {
	Errorf(format string, args ...any)
}

// prepare checks the url and prompt arguments, parses connect-level params and captures VU
// state and tags; it throws on a bad argument or option or in the init context. requirePrompt
// is false for connect(), which has no prompt.
func (mi *ModuleInstance) prepare(urlArg, promptArg, params sobek.Value, requirePrompt bool) *chatCall {
	rt := mi.vu.Runtime()
	state := mi.vu.State()
	if state == nil {
		common.Throw(rt, errInitContext)
	}
	target, err := parseChatURL(urlArg)
	if err != nil {
		common.Throw(rt, err)
	}
	var prompt string
	if requirePrompt {
		if prompt, err = promptValue(promptArg); err != nil {
			common.Throw(rt, err)
		}
	}
	p, err := parseChatParams(rt, params, true)
	if err != nil {
		common.Throw(rt, err)
	}
	c := &chatCall{
		ctx: mi.vu.Context(), target: target, prompt: prompt, params: p,
		samples: state.Samples, m: mi.metrics, sys: state.Options.SystemTags,
		logger: state.Logger, buffers: mi.writeBuffers, ledger: mi.ledger,
	}
	if p.sketch {
		c.runTags = runTags(state)
	}
	if err := c.setTags(rt, state, p.tags); err != nil {
		common.Throw(rt, err)
	}
	return c
}

// promptValue is the prompt argument of chat() and send(): a string (it may be empty).
func promptValue(v sobek.Value) (string, error) {
	if common.IsNullish(v) {
		return "", fmt.Errorf("prompt must be a string, got %s", typeOf(v))
	}
	s, ok := v.Export().(string)
	if !ok {
		return "", fmt.Errorf("prompt must be a string, got %s", typeOf(v))
	}
	return s, nil
}

// setTags sets c.tags as k6/http does for a request: the VU's tags current now (group, VU tags,
// scenario), then each set of user tags in order (connect-level, then call-level), then the url,
// name, protocol and the dial's system tags. The url tag is redacted; a name tag stands for it.
func (c *chatCall) setTags(rt *sobek.Runtime, state *lib.State, userTags ...sobek.Value) error {
	tm := state.Tags.GetCurrentValues()
	for _, ut := range userTags {
		if err := common.ApplyCustomUserTags(rt, &tm, ut); err != nil {
			return err
		}
	}
	c.tags = tm
	if name, ok := tm.Tags.Get(metrics.TagName.String()); ok {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagURL, name)
	} else {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagURL, c.target.shown)
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagName, c.target.shown)
	}
	c.tags.SetTag("protocol", c.params.protocol.EffectiveName())
	c.applyConnTags()
	return nil
}

func (c *chatCall) applyConnTags() {
	if c.conn.status != "" {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagStatus, c.conn.status)
	}
	if c.conn.ip != "" {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagIP, c.conn.ip)
	}
	if c.conn.connected {
		c.tags.SetSystemTagOrMetaIfEnabled(c.sys, metrics.TagSubproto, c.conn.subproto)
	}
}

// dialOptions builds chatws options that dial through the VU's Dialer and TLS config, as k6's
// websockets module does (blockHostnames, hosts, data_sent/data_received, insecureSkipTLSVerify).
func (c *chatCall) dialOptions(state *lib.State) chatws.Options {
	p := c.params
	o := chatws.Options{
		Headers:        c.target.basicAuth(p.headers.Clone()),
		Subprotocols:   p.subprotocols,
		Protocol:       p.protocol,
		Timeouts:       p.timeouts,
		MaxFrameBytes:  p.maxFrame,
		KeepTextBytes:  max(p.keepText, 0),
		NetDialContext: state.Dialer.DialContext,
		InnerConn:      k6InnerConn,
		Proxy:          http.ProxyFromEnvironment,
	}
	if c.buffers != nil {
		o.WriteBufferPool = c.buffers
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

// k6InnerConn finds the TCP connection inside the byte-counting connection of k6's Dialer, so
// that the chat client reads it with the kernel's arrival stamps while k6 still counts
// data_received.
func k6InnerConn(c net.Conn) (net.Conn, func(net.Conn)) {
	if nc, ok := c.(*netext.Conn); ok {
		return nc.Conn, func(inner net.Conn) { nc.Conn = inner }
	}
	return nil, nil
}

// dial connects and emits fw_chat_connecting (one per attempt); on failure it returns the failure
// as a Result for the caller to count as a failed turn.
func (c *chatCall) dial(opts chatws.Options) (*chatws.Conn, *chatws.Result) {
	conn, info, err := chatws.Dial(c.ctx, c.target.dial, opts)
	if info.Start.IsZero() {
		info.Start = time.Now()
	}
	if info.Status != 0 {
		c.conn.status = strconv.Itoa(info.Status)
	}
	c.conn.ip = info.RemoteIP
	c.conn.connected, c.conn.subproto = conn != nil, info.Subprotocol
	c.applyConnTags()
	c.push(info.Start, metrics.Sample{ // one per connect attempt, failed or not
		TimeSeries: metrics.TimeSeries{Metric: c.m.ChatConnecting, Tags: c.tags.Tags},
		Value:      metrics.D(info.Connecting),
	})
	if err != nil {
		var ce *chatws.Error
		if !errors.As(err, &ce) {
			ce = &chatws.Error{Kind: failure.KindConnect, Msg: err.Error()}
		}
		res := chatws.Result{Err: ce, Start: info.Start, TokensSource: chatws.TokensFrames}
		return nil, &res
	}
	return conn, nil
}

func (c *chatCall) push(t time.Time, samples ...metrics.Sample) {
	for i := range samples {
		samples[i].Time = t
		samples[i].Metadata = c.tags.Metadata
	}
	if c.ledger != nil {
		samples = c.ledger.record(samples, c.params.sketch)
		if c.params.sketch {
			c.ledger.maybePublish(c.ctx, c.samples, c.runTags, c.m)
		}
	}
	if len(samples) == 0 {
		return
	}
	metrics.PushIfNotDone(c.ctx, c.samples, metrics.ConnectedSamples{Samples: samples, Tags: c.tags.Tags, Time: t})
}

// runOneShot is chat(): connect, one turn, close. Safe off the JS thread.
func (c *chatCall) runOneShot(opts chatws.Options) (out map[string]any) {
	defer c.recoverTurn(&out)
	conn, failed := c.dial(opts)
	if failed != nil {
		c.emitTurn(failed)
		return resultObject(failed)
	}
	defer func() { _ = conn.Close() }()
	runTurnHook(c.prompt)
	res := conn.Turn(c.ctx, c.prompt, chatws.TurnOptions{ITLSink: c.itlSink()})
	c.emitTurn(&res)
	return resultObject(&res)
}

// chat implements fw.chat(url, prompt, params?): a blocking one-shot turn.
func (mi *ModuleInstance) chat(url, prompt, params sobek.Value) sobek.Value {
	c := mi.prepare(url, prompt, params, true)
	out := c.runOneShot(c.dialOptions(mi.vu.State()))
	return mi.vu.Runtime().ToValue(out)
}

// chatAsync implements fw.chatAsync(url, prompt, params?): the turn runs on its own goroutine and
// the promise resolves on the event loop, so one VU can drive several streams.
func (mi *ModuleInstance) chatAsync(url, prompt, params sobek.Value) *sobek.Promise {
	c := mi.prepare(url, prompt, params, true)
	opts := c.dialOptions(mi.vu.State())
	p, resolve, _ := promises.New(mi.vu)
	go func() { resolve(c.runOneShot(opts)) }()
	return p
}

// emitTurn pushes one turn's samples:
//   - fw_chat_turns 1, fw_chat_failed 0/1, fw_chat_tokens, fw_chat_goodput 0/1 always;
//   - fw_chat_errors 1 tagged error_kind when failed;
//   - fw_chat_ttft when a token arrived; fw_chat_itl: the gaps not yet pushed by the turn's
//     itlSink, or in summary mode the turn's mean gap (and fw_chat_itl_max);
//   - fw_chat_duration and fw_chat_tpot only for a successful turn (tpot when tokens > 1).
//
// A canceled turn (k6 stopping the VU) emits nothing: it is neither a success nor a failure.
func (c *chatCall) emitTurn(res *chatws.Result) {
	if res.Err != nil && res.Err.Kind == failure.KindCanceled {
		return
	}
	m := c.m
	t := res.Start
	if t.IsZero() {
		t = time.Now()
	}
	tags := c.tags.Tags
	s := make([]metrics.Sample, 0, 9+len(res.ITLs))
	add := func(metric *metrics.Metric, v float64) {
		s = append(s, metrics.Sample{TimeSeries: metrics.TimeSeries{Metric: metric, Tags: tags}, Value: v})
	}
	add(m.ChatTurns, 1)
	add(m.ChatFailed, metricBool(!res.OK))
	add(m.ChatTokens, float64(res.Tokens))
	if res.HasTTFT {
		add(m.ChatTTFT, metrics.D(res.TTFT))
	}
	s = c.itlSamples(s, res)
	if res.OK {
		add(m.ChatDuration, metrics.D(res.Duration))
		if res.HasTPOT {
			add(m.ChatTPOT, metrics.D(res.TPOT))
		}
	}
	add(m.ChatGoodput, metricBool(c.goodput(res)))
	if res.Err != nil {
		s = append(s, metrics.Sample{
			TimeSeries: metrics.TimeSeries{Metric: m.ChatErrors, Tags: tags.With(tagErrorKind, string(res.Err.Kind))},
			Value:      1,
		})
	}
	c.push(t, s...)
}

// goodput: the turn succeeded and met the SLOs that are set (a TPOT SLO is met vacuously when
// the turn had fewer than two tokens).
func (c *chatCall) goodput(res *chatws.Result) bool {
	if !res.OK {
		return false
	}
	if c.params.sloTTFT > 0 && (!res.HasTTFT || res.TTFT > c.params.sloTTFT) {
		return false
	}
	if c.params.sloTPOT > 0 && res.HasTPOT && res.TPOT > c.params.sloTPOT {
		return false
	}
	return true
}
