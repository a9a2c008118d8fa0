package chatws

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/featherweight/xk6-featherweight/failure"
)

// drainWait bounds the wait for the next frame once a turn's failure is decided (an undecodable
// frame, or an error the server follows with a terminal frame).
const drainWait = time.Second

func newMessageID() string {
	// #nosec G404 -- a message id only has to be unique per connection, not unpredictable.
	return "fw-" + strconv.FormatUint(rand.Uint64(), 36)
}

// turnPhase is where a turn is: it writes the prompt, awaits the first token, streams until the
// terminal frame, and is done (with a result, successful or not).
type turnPhase uint8

const (
	phaseWrite turnPhase = iota
	phaseFirstToken
	phaseStream
	phaseDone
)

// turn is the state of one Conn.Turn.
type turn struct {
	c     *Conn
	ctx   context.Context
	to    Timeouts
	keep  int // reply text bytes to keep
	phase turnPhase
	res   Result

	written   time.Time // the clock of TTFT and Duration
	last      time.Time // the last token-bearing frame
	lastFrame time.Time // the last frame of any kind
	usage     int       // server-reported usage, -1 when none
	text      []byte
	pending   *Error                     // a failure already decided; the turn reads on to its terminal frame
	itlSink   func(gaps []time.Duration) // TurnOptions.ITLSink
}

// Turn sends prompt and reads the reply until the terminal frame, an error, a timeout or ctx
// cancellation. It never panics on server data.
func (c *Conn) Turn(ctx context.Context, prompt string, o TurnOptions) Result {
	c.mu.Lock()
	defer c.mu.Unlock()

	t := c.newTurn(ctx, o)
	if !t.usable() {
		return t.res
	}
	// Cancellation ends a blocked read or write at once. A past deadline alone would not do for
	// the write: gorilla sets its own write deadline on every frame of a long prompt. A cancelled
	// turn leaves the connection unusable anyway, so the socket is closed.
	nc := c.ws.NetConn()
	stop := context.AfterFunc(ctx, func() {
		c.broken.Store(true)
		_ = nc.Close()
	})
	defer stop()

	t.write(prompt)
	for t.phase != phaseDone {
		t.read()
	}
	return t.res
}

func (c *Conn) newTurn(ctx context.Context, o TurnOptions) turn {
	t := turn{
		c:     c,
		ctx:   ctx,
		to:    o.Timeouts.withDefaults(c.timeouts),
		keep:  c.opts.KeepTextBytes,
		res:   Result{MessageID: o.MessageID, TokensSource: TokensFrames},
		usage: -1,
	}
	if t.res.MessageID == "" {
		t.res.MessageID = newMessageID()
	}
	if o.KeepTextBytes != 0 {
		t.keep = max(o.KeepTextBytes, 0)
	}
	t.itlSink = o.ITLSink
	c.itls = c.itls[:0]
	c.itlSketch.release() // a no-op unless the last turn was cut short by a panic
	return t
}

// fail ends the turn with an error.
func (t *turn) fail(kind failure.Kind, msg string, cause error) {
	t.res.Err = newErr(kind, msg, cause)
	t.closeITL()
	t.res.Tokens = t.res.Chunks
	t.phase = phaseDone
}

// failPending ends the turn with the failure decided earlier.
func (t *turn) failPending() { t.fail(t.pending.Kind, t.pending.Msg, t.pending.Err) }

// usable reports whether the turn can start; if not, it has failed.
func (t *turn) usable() bool {
	if err := t.ctx.Err(); err != nil {
		t.res.Start = time.Now()
		t.fail(failure.KindCanceled, "turn canceled before start", err)
		return false
	}
	if t.c.closed.Load() || t.c.broken.Load() {
		t.res.Start = time.Now()
		t.res.CloseCode = t.c.closeCodeOr(websocket.CloseAbnormalClosure)
		t.fail(failure.KindClosed, "connection is closed", nil)
		return false
	}
	return true
}

// write sends the prompt's frames: phaseWrite -> phaseFirstToken, or done on failure.
func (t *turn) write(prompt string) {
	c := t.c
	frames, isText, err := c.codec.EncodeRequest(prompt, t.res.MessageID, time.Now())
	if err != nil {
		t.res.Start = time.Now()
		t.fail(failure.KindProtocol, "cannot encode request", err)
		return
	}
	mt := websocket.BinaryMessage
	if isText {
		mt = websocket.TextMessage
	}
	t.res.Start = time.Now()
	_ = c.ws.SetWriteDeadline(t.res.Start.Add(t.to.Total))
	for _, f := range frames {
		err := t.ctx.Err() // a cancel between the frames of a multi-frame request
		if err == nil {
			err = c.ws.WriteMessage(mt, f)
		}
		if err != nil {
			c.broken.Store(true)
			if t.ctx.Err() != nil {
				t.fail(failure.KindCanceled, "turn canceled", t.ctx.Err())
				return
			}
			t.res.CloseCode = c.closeCodeOr(websocket.CloseAbnormalClosure)
			t.fail(failure.KindClosed, "write failed", err)
			return
		}
	}
	// The clock for TTFT and duration starts as the prompt is handed to the socket, stamped before
	// the write (as vLLM's benchmark does), as late as the last write's start (Conn.promptWritten):
	// a goroutine descheduled after its write returns would otherwise find the first token already
	// buffered and report a TTFT of microseconds. Scheduling delays cannot shorten the measured
	// TTFT.
	t.written = t.c.promptWritten(t.res.Start)
	t.phase = phaseFirstToken
}

// deadline is the read deadline of the next frame and the timeout that expires at it.
func (t *turn) deadline() (time.Time, failure.Kind) {
	deadline, kind := t.written.Add(t.to.Total), failure.KindTimeoutTotal
	if t.phase == phaseFirstToken {
		if d := t.written.Add(t.to.FirstToken); d.Before(deadline) {
			deadline, kind = d, failure.KindTimeoutFirstToken
		}
	} else if d := t.last.Add(t.to.Idle); d.Before(deadline) {
		deadline, kind = d, failure.KindTimeoutIdle
	}
	if t.pending != nil { // draining after a decided failure: do not wait long for the rest
		if d := t.lastFrame.Add(min(t.to.Idle, drainWait)); d.Before(deadline) {
			deadline = d
		}
	}
	return deadline, kind
}

// read reads and handles one frame (phaseFirstToken or phaseStream).
func (t *turn) read() {
	deadline, timeout := t.deadline()
	_ = t.c.ws.NetConn().SetReadDeadline(deadline)
	if t.ctx.Err() != nil { // cancelled: the socket is closed, or about to be
		t.c.broken.Store(true)
		t.res.Duration = time.Since(t.written)
		t.fail(failure.KindCanceled, "turn canceled", t.ctx.Err())
		return
	}
	frame, err := t.c.readMessage()
	now := time.Now() // the read's return
	if err == nil {
		now = t.frameTime(now)
	}
	t.lastFrame = now
	if err != nil {
		t.c.broken.Store(true)
		t.res.Duration = now.Sub(t.written)
		if t.pending != nil && t.ctx.Err() == nil {
			t.failPending()
			return
		}
		t.readFailed(err, timeout)
		return
	}
	ev, err := t.c.codec.Decode(frame, t.res.MessageID)
	if err != nil {
		if t.pending == nil {
			t.pending = newErr(failure.KindProtocol, "undecodable frame", err)
		}
		return // read on to the terminal frame so the connection stays in step
	}
	t.handle(ev, now)
}

// frameTime is when the frame whose read returned at readReturn arrived (Conn.arrivedAt), never
// before the prompt was written nor before the turn's previous frame: a turn's times never run
// backwards.
func (t *turn) frameTime(readReturn time.Time) time.Time {
	at := t.c.arrivedAt(readReturn)
	floor := t.written
	if t.lastFrame.After(floor) {
		floor = t.lastFrame
	}
	if at.Before(floor) {
		return floor
	}
	return at
}

// handle applies one decoded frame received at now.
func (t *turn) handle(ev Event, now time.Time) {
	if len(ev.Text) > 0 {
		t.token(ev.Text, now)
	}
	if ev.HasUsage {
		t.usage = ev.Usage
	}
	if t.pending != nil && (ev.Kind == EventDone || ev.Kind == EventError) {
		t.end(now)
		t.failPending()
		return
	}
	switch ev.Kind {
	case EventDone:
		t.succeed(now)
	case EventError:
		msg := orDefault(ev.Message, "server error frame")
		if !ev.Final { // read on to the reply's terminal frame (see Event.Final)
			t.pending = newErr(failure.KindServerError, msg, nil)
			return
		}
		t.end(now)
		t.fail(failure.KindServerError, msg, nil)
	case EventIgnore, EventToken: // token text was counted above; neither ends the turn
	}
}

// token counts a token-bearing frame: phaseFirstToken -> phaseStream.
func (t *turn) token(text []byte, now time.Time) {
	t.res.Chunks++
	if t.phase == phaseFirstToken {
		t.res.HasTTFT, t.res.TTFT = true, now.Sub(t.written)
		t.phase = phaseStream
	} else {
		t.gap(now.Sub(t.last))
	}
	t.last = now
	if room := t.keep - len(t.text); room > 0 {
		t.text = append(t.text, text[:min(room, len(text))]...)
	}
}

// gap records one inter-token gap; with a sink, every ITLBatch gaps go to it.
func (t *turn) gap(d time.Duration) {
	c := t.c
	c.itls = append(c.itls, d)
	c.itlSketch.record(d, c.itls)
	if t.itlSink != nil && len(c.itls) == ITLBatch {
		t.itlSink(c.itls)
		c.itls = c.itls[:0]
	}
}

// closeITL puts the gaps not handed to the sink and the summary of all of them in the result,
// and returns the sketch's buckets (if the turn borrowed them) to the pool.
func (t *turn) closeITL() {
	t.res.ITLs = t.c.itls
	t.res.ITL = t.c.itlSketch.summary(t.c.itls)
	t.c.itlSketch.release()
}

// end records the duration and the text of a turn ended by a frame at now.
func (t *turn) end(now time.Time) {
	t.res.Duration = now.Sub(t.written)
	t.res.Text = string(t.text)
}

// succeed ends the turn at its terminal frame.
func (t *turn) succeed(now time.Time) {
	res := &t.res
	t.end(now)
	res.OK = true
	t.closeITL()
	res.Tokens = res.Chunks
	if t.usage >= 0 {
		res.Tokens, res.TokensSource = t.usage, TokensUsage
	}
	if res.HasTTFT && res.Tokens > 1 {
		res.HasTPOT = true
		res.TPOT = (res.Duration - res.TTFT) / time.Duration(res.Tokens-1)
	}
	t.phase = phaseDone
}

// readFailed ends the turn on a read error; timeout is the timeout the read deadline enforced.
func (t *turn) readFailed(err error, timeout failure.Kind) {
	c, res := t.c, &t.res
	if t.ctx.Err() != nil {
		t.fail(failure.KindCanceled, "turn canceled", t.ctx.Err())
		return
	}
	if c.closed.Load() {
		res.CloseCode = c.closeCodeOr(websocket.CloseNormalClosure)
		t.fail(failure.KindClosed, "connection closed by client", err)
		return
	}
	if errors.Is(err, websocket.ErrReadLimit) {
		t.fail(failure.KindProtocol, "frame larger than maxFrameBytes ("+strconv.FormatInt(c.opts.MaxFrameBytes, 10)+")", err)
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.fail(timeout, t.timeoutMessage(timeout), err)
		return
	}
	if ce, ok := errors.AsType[*websocket.CloseError](err); ok {
		res.CloseCode = ce.Code
		t.fail(failure.KindClosed, "server closed the connection before the end of the reply", err)
		return
	}
	res.CloseCode = c.closeCodeOr(websocket.CloseAbnormalClosure)
	t.fail(failure.KindClosed, "connection dropped before the end of the reply", err)
}

func (t *turn) timeoutMessage(timeout failure.Kind) string {
	switch timeout {
	case failure.KindTimeoutFirstToken:
		return "no token within " + t.to.FirstToken.String()
	case failure.KindTimeoutIdle:
		return "no frame within " + t.to.Idle.String() + " of the last token"
	default:
		return "turn exceeded " + t.to.Total.String()
	}
}
