package fwsim

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// protocolID indexes the framings; path gives each its endpoint.
type protocolID int

const (
	protoOrchestrator protocolID = iota
	protoUnified
	protoOpenAI
	protoRealtime
	protoText
	numProtocols
)

// path is the framing's endpoint path; its turns count under it in Truth and /metrics.
func (id protocolID) path() string {
	switch id {
	case protoOrchestrator:
		return "/api/chat"
	case protoUnified:
		return "/ws/unified-chat"
	case protoOpenAI:
		return "/v1/chat/stream"
	case protoRealtime:
		return "/v1/realtime"
	case protoText:
		return "/ws/text"
	default:
		return "unknown"
	}
}

// protocolAliases are further paths for a framing; their turns count under the framing's path().
// /api/chat/unified was fwsim's first unified path; the real unified server is /ws/unified-chat.
func protocolAliases() map[string]protocolID {
	return map[string]protocolID{"/api/chat/unified": protoUnified}
}

// protocols returns the framings, indexed by protocolID.
func protocols() [numProtocols]protocol {
	return [numProtocols]protocol{orchestrator{}, unified{}, openAI{}, realtime{}, textProto{}}
}

// protocol is one framing. parse runs on the connection's reader goroutine; every other method
// runs on its single writer goroutine and writes through c.send.
type protocol interface {
	id() protocolID
	parse(c *wsConn, mt int, data []byte) request
	open(c *wsConn) error
	begin(c *wsConn, t *turn) error
	token(c *wsConn, t *turn, tok []byte) error
	complete(c *wsConn, t *turn) error
	fail(c *wsConn, t *turn, msg string) error
	invalid(c *wsConn, r *request) error
	malformed(c *wsConn, t *turn) error
}

type reqKind int

const (
	reqIgnore  reqKind = iota // nothing to do (e.g. a message that only updates reader state)
	reqTurn                   // answer a prompt
	reqInvalid                // reject the client's message with an error frame (a failed turn)
	reqFrame                  // write frame as is (an acknowledgement, not a turn)
)

// request travels from the reader to the writer.
type request struct {
	kind   reqKind
	prompt string
	id     string // messageId (orchestrator) or response id
	// anonymous: the orchestrator client sent no messageId, so the frames carry none (id is
	// fwsim's own, for the turn log).
	anonymous bool
	model     string
	usage     bool      // OpenAI: send the usage-only chunk
	msg       string    // reqInvalid: the error message
	frame     []byte    // reqFrame
	recv      time.Time // when the client's frame was read (TurnTiming.Received)
}

// decodeJSONFrame unmarshals a JSON text frame into v. A binary frame or one that is not JSON
// gives the reqInvalid request to answer with, and false.
func decodeJSONFrame(mt int, data []byte, v any) (request, bool) {
	if mt != websocket.TextMessage {
		return request{kind: reqInvalid, msg: "binary frames are not accepted: send a JSON text frame"}, false
	}
	if err := json.Unmarshal(data, v); err != nil {
		return request{kind: reqInvalid, msg: "invalid JSON: " + err.Error()}, false
	}
	return request{}, true
}

// turn is the writer's state for the turn in progress.
type turn struct {
	req         request
	seq         uint64
	sent        int // tokens sent
	gen         replyGen
	created     int64
	first, last time.Time // token write times, stamped only when turns are recorded
	itl         []int32
}

const injectedErrorMsg = "fwsim: injected server error"

// wsConn is one WebSocket connection: the handler goroutine reads, one writer goroutine writes.
type wsConn struct {
	s  *Server
	p  protocol
	ws *websocket.Conn
	id uint64

	reqs     chan request
	done     chan struct{}
	doneOnce sync.Once

	// lastRead is when the reader last got a data frame (UnixNano); the writer's idle check reads it.
	lastRead atomic.Int64

	// reader-only state
	readSeq      uint64
	pending      []byte // realtime: user text from conversation.item.create
	pendingItems int    // realtime: items in pending (capped by Config.MaxPendingItems)

	// writer-only state
	rng   *rand.Rand
	timer *time.Timer
	buf   []byte
	tok   []byte
	turn  turn
	evSeq uint64
}

func (s *Server) wsHandler(p protocol) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !websocket.IsWebSocketUpgrade(r) {
			w.Header().Set("Upgrade", "websocket")
			http.Error(w, "fwsim: "+r.URL.Path+" speaks WebSocket only", http.StatusUpgradeRequired)
			return
		}
		k := &s.counters
		if s.chance(s.cfg.RejectRate) {
			k.rejected.Add(1)
			http.Error(w, "fwsim: injected rejection", s.cfg.RejectStatus)
			return
		}
		if n := k.active.Add(1); s.cfg.MaxConns > 0 && n > int64(s.cfg.MaxConns) {
			k.active.Add(-1)
			k.rejected.Add(1)
			http.Error(w, "fwsim: too many connections", http.StatusServiceUnavailable)
			return
		}
		c := &wsConn{s: s, p: p, reqs: make(chan request, 4), done: make(chan struct{})}
		if !s.register(c) {
			k.active.Add(-1)
			k.rejected.Add(1)
			http.Error(w, "fwsim: shutting down", http.StatusServiceUnavailable)
			return
		}
		ws, err := s.upgrader.Upgrade(w, r, nil)
		if err != nil { // the upgrader has answered the client
			s.unregister(c)
			k.active.Add(-1)
			return
		}
		if !s.attach(c, ws) { // Close ran during the handshake
			_ = ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseGoingAway, "fwsim shutting down"), time.Now().Add(time.Second))
			_ = ws.Close()
			s.unregister(c)
			k.active.Add(-1)
			return
		}
		k.opened.Add(1)
		c.serve()
	}
}

// register adds c to the open set (and the wait group) unless the server is closed.
func (s *Server) register(c *wsConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.connSeq++
	c.id = s.connSeq
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

// attach records the upgraded socket; false if Close has started (it will not see this socket).
func (s *Server) attach(c *wsConn, ws *websocket.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	c.ws = ws
	return true
}

func (s *Server) unregister(c *wsConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

func (c *wsConn) serve() {
	defer func() {
		c.s.unregister(c)
		c.s.counters.active.Add(-1)
	}()
	c.ws.SetReadLimit(c.s.cfg.ReadLimit)
	c.rng = c.s.connRand()
	c.timer = time.NewTimer(time.Hour)
	c.timer.Stop()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer c.stop()
		defer c.recoverPanic("writer")
		c.writeLoop()
	}()
	func() {
		defer c.recoverPanic("reader")
		c.readLoop()
	}()
	c.stop()
	<-writerDone
}

// recoverPanic is a last line of defence: a bug triggered by one client must not take the whole
// server (and the load test using it) down. The connection is closed instead.
func (c *wsConn) recoverPanic(where string) {
	if r := recover(); r != nil {
		c.s.log.Error("fwsim: panic in connection "+where+"; connection closed", "conn", c.id, "panic", r)
	}
}

// stop ends both goroutines: it closes done and the TCP connection (idempotent).
func (c *wsConn) stop() {
	c.doneOnce.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// shutdown sends a close frame, then stops the connection. Safe from any goroutine.
func (c *wsConn) shutdown(code int, text string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text),
		time.Now().Add(time.Second))
	c.stop()
}

func (c *wsConn) readLoop() {
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway,
				websocket.CloseNoStatusReceived) {
				c.s.log.Debug("fwsim: read", "conn", c.id, "err", err)
			}
			return
		}
		recv := time.Now()
		c.lastRead.Store(recv.UnixNano())
		c.readSeq++
		req := c.p.parse(c, mt, data)
		req.recv = recv
		if req.kind == reqIgnore {
			continue
		}
		select {
		case c.reqs <- req:
		case <-c.done:
			return
		}
	}
}

// keepBufCap is the largest buffer a connection keeps between requests: one oversized message or
// frame must not pin its memory for the connection's life.
const keepBufCap = 64 << 10

// trimBuf empties b, dropping it when it grew beyond keepBufCap.
func trimBuf(b []byte) []byte {
	if cap(b) > keepBufCap {
		return nil
	}
	return b[:0]
}

// nextID returns a per-connection identifier such as "fwsim-3-7".
func (c *wsConn) nextID(prefix string) string {
	return prefix + strconv.FormatUint(c.id, 10) + "-" + strconv.FormatUint(c.readSeq, 10)
}

// writeLoop serves requests in order. Between turns it enforces Config.IdleTimeout: the
// connection is closed when neither a client data frame nor the end of a turn happened for that
// long (a turn in progress, however long, is never cut by it).
func (c *wsConn) writeLoop() {
	if err := c.p.open(c); err != nil {
		return
	}
	idleFor := c.s.cfg.IdleTimeout
	idle := time.NewTimer(idleFor)
	defer idle.Stop()
	lastTurn := time.Now()
	for {
		select {
		case <-c.done:
			return
		case req := <-c.reqs:
			if !c.handle(&req) {
				return
			}
			c.buf = trimBuf(c.buf)
			c.tok = trimBuf(c.tok)
			lastTurn = time.Now()
			idle.Reset(idleFor)
		case <-idle.C:
			last := lastTurn
			if r := time.Unix(0, c.lastRead.Load()); r.After(last) {
				last = r
			}
			if rest := idleFor - time.Since(last); rest > 0 {
				idle.Reset(rest)
				continue
			}
			c.s.counters.idleClosed.Add(1)
			c.shutdown(websocket.CloseGoingAway, "fwsim: idle timeout")
			return
		}
	}
}

// handle serves one request; false means the connection is finished.
func (c *wsConn) handle(req *request) bool {
	k := &c.s.counters
	pc := &k.paths[c.p.id()]
	switch req.kind {
	case reqFrame:
		return c.send(req.frame) == nil
	case reqInvalid:
		pc.started.Add(1)
		if err := c.p.invalid(c, req); err != nil {
			pc.aborted.Add(1)
			return false
		}
		pc.failed.Add(1)
		k.causes[CauseInvalidRequest].Add(1)
		return true
	case reqTurn:
		pc.started.Add(1)
		ok, outcome := c.runTurn(req)
		c.recordTurn(&c.turn, outcome)
		switch outcome {
		case outcomeCompleted:
			pc.completed.Add(1)
		case outcomeFailed:
			pc.failed.Add(1)
		default:
			pc.aborted.Add(1)
		}
		return ok
	case reqIgnore: // nothing to answer
	}
	return true
}

type outcome int

const (
	outcomeAborted outcome = iota
	outcomeCompleted
	outcomeFailed
)

// runTurn streams one reply, injecting the faults rolled for it.
func (c *wsConn) runTurn(req *request) (bool, outcome) {
	cfg := &c.s.cfg
	k := &c.s.counters
	t := &c.turn
	t.req = *req
	t.seq++
	t.sent = 0
	t.gen = newReplyGen(c.s.seed, req.prompt)
	t.created = time.Now().Unix()
	pl := cfg.roll(c.rng)
	c.s.capacity.streams.Add(1)
	defer c.s.capacity.streams.Add(-1)

	if err := c.p.begin(c, t); err != nil {
		return false, outcomeAborted
	}
	for i := 0; i <= cfg.Tokens; i++ {
		faultHere := i == pl.cutAt || i == pl.errorAt || i == pl.malformedAt
		if i < cfg.Tokens || faultHere {
			d := cfg.ITL
			if i == 0 {
				d = cfg.TTFT
			}
			if !c.wait(c.s.capacity.stretch(cfg.jittered(c.rng, d))) {
				return false, outcomeAborted
			}
		}
		if faultHere {
			if ended, ok, o := c.injectFault(i, pl, t); ended {
				return ok, o
			}
		}
		if i == cfg.Tokens {
			break
		}
		c.tok = t.gen.appendToken(c.tok[:0], cfg.TokenBytes)
		if err := c.p.token(c, t, c.tok); err != nil {
			return false, outcomeAborted
		}
		t.sent++
		k.tokens.Add(1)
		if c.s.turnLog != nil {
			t.stampToken(time.Now())
		}
		if i == 0 && pl.stall {
			k.causes[CauseStall].Add(1)
			if !c.wait(cfg.Stall) {
				return false, outcomeAborted
			}
		}
	}
	if err := c.p.complete(c, t); err != nil {
		return false, outcomeAborted
	}
	return true, outcomeCompleted
}

// injectFault injects the fault planned at token i; ended means it ended the turn with (ok, o).
func (c *wsConn) injectFault(i int, pl plan, t *turn) (ended, ok bool, o outcome) {
	k := &c.s.counters
	switch i {
	case pl.cutAt:
		k.causes[CauseCut].Add(1)
		_ = c.ws.NetConn().Close() // no close frame: the client sees 1006
		return true, false, outcomeFailed
	case pl.errorAt:
		if err := c.p.fail(c, t, injectedErrorMsg); err != nil {
			return true, false, outcomeAborted
		}
		k.causes[CauseErrorFrame].Add(1)
		return true, true, outcomeFailed
	case pl.malformedAt:
		if err := c.p.malformed(c, t); err != nil {
			return true, false, outcomeAborted
		}
		k.causes[CauseMalformed].Add(1)
	}
	return false, false, outcomeAborted
}

// wait sleeps d on the connection's one timer; false if the connection ended meanwhile.
func (c *wsConn) wait(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-c.done:
			return false
		default:
			return true
		}
	}
	c.timer.Reset(d)
	select {
	case <-c.timer.C:
		return true
	case <-c.done:
		c.timer.Stop()
		return false
	}
}

// send writes one text frame.
func (c *wsConn) send(b []byte) error {
	return c.sendType(websocket.TextMessage, b)
}

func (c *wsConn) sendType(mt int, b []byte) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	return c.ws.WriteMessage(mt, b)
}

// sendTruncated writes the first half of a JSON frame: invalid JSON that looks like the real thing.
func (c *wsConn) sendTruncated(frame []byte) error {
	return c.send(frame[:len(frame)/2])
}
