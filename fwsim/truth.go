package fwsim

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
)

// Cause names a reason a turn failed or had a fault injected.
type Cause int

// The causes, in the order of Truth.Turns.FailedByCause's keys.
const (
	CauseErrorFrame     Cause = iota // an injected error frame ended the turn
	CauseCut                         // the server cut the connection mid-turn
	CauseMalformed                   // one invalid frame was sent mid-turn (the turn went on)
	CauseInvalidRequest              // the client's message was rejected with an error frame
	CauseStall                       // the turn paused for Config.Stall after its first token
	numCauses
)

func (c Cause) String() string {
	switch c {
	case CauseErrorFrame:
		return "error_frame"
	case CauseCut:
		return "cut"
	case CauseMalformed:
		return "malformed"
	case CauseInvalidRequest:
		return "invalid_request"
	case CauseStall:
		return "stall"
	default:
		return "unknown"
	}
}

// Truth is the server's ground truth, for checking what a load-test client measured.
// See docs/fwsim.md for the exact meaning of each count.
type Truth struct {
	Connections TruthConnections     `json:"connections"`
	Turns       TruthTurns           `json:"turns"`
	TokensSent  uint64               `json:"tokens_sent"`
	Loop        TruthLoop            `json:"loop"`
	ByPath      map[string]TruthPath `json:"by_path"`
	Capacity    TruthCapacity        `json:"capacity"`
}

// TruthConnections counts WebSocket connections.
type TruthConnections struct {
	Opened     uint64 `json:"opened"`      // upgrades that succeeded
	Active     int64  `json:"active"`      // open right now
	Rejected   uint64 `json:"rejected"`    // upgrades refused (RejectRate, MaxConns, shutting down)
	IdleClosed uint64 `json:"idle_closed"` // closed by the server after Config.IdleTimeout
}

// TruthTurns counts turns; started == completed + failed + aborted once the server is idle.
type TruthTurns struct {
	Started       uint64            `json:"started"`
	Completed     uint64            `json:"completed"`
	Failed        uint64            `json:"failed"`
	Aborted       uint64            `json:"aborted"`
	FailedByCause map[string]uint64 `json:"failed_by_cause"`
}

// TruthLoop is the loop's state.
type TruthLoop struct {
	Hz     float64 `json:"hz"`
	Ticks  uint64  `json:"ticks"`
	Target float64 `json:"target_hz"`
}

// TruthPath counts the turns of one endpoint.
type TruthPath struct {
	Started   uint64 `json:"started"`
	Completed uint64 `json:"completed"`
	Failed    uint64 `json:"failed"`
	Aborted   uint64 `json:"aborted"`
}

type pathCounters struct {
	started, completed, failed, aborted atomic.Uint64
}

// counters is the atomic state behind Truth and the chat metrics.
type counters struct {
	opened, rejected atomic.Uint64
	idleClosed       atomic.Uint64
	active           atomic.Int64
	tokens           atomic.Uint64
	causes           [numCauses]atomic.Uint64
	paths            [numProtocols]pathCounters
}

func (c *counters) snapshot() (t Truth) {
	t.Connections = TruthConnections{
		Opened: c.opened.Load(), Active: c.active.Load(), Rejected: c.rejected.Load(),
		IdleClosed: c.idleClosed.Load(),
	}
	t.Turns.FailedByCause = make(map[string]uint64, numCauses)
	for i := range c.causes {
		t.Turns.FailedByCause[Cause(i).String()] = c.causes[i].Load()
	}
	t.ByPath = make(map[string]TruthPath, numProtocols)
	for i := range c.paths {
		p := &c.paths[i]
		tp := TruthPath{
			Started: p.started.Load(), Completed: p.completed.Load(),
			Failed: p.failed.Load(), Aborted: p.aborted.Load(),
		}
		t.ByPath[protocolID(i).path()] = tp
		t.Turns.Started += tp.Started
		t.Turns.Completed += tp.Completed
		t.Turns.Failed += tp.Failed
		t.Turns.Aborted += tp.Aborted
	}
	t.TokensSent = c.tokens.Load()
	return t
}

// Truth returns a snapshot of the ground-truth counters.
func (s *Server) Truth() Truth {
	t := s.counters.snapshot()
	t.Loop = TruthLoop{Hz: s.loop.hz(), Ticks: s.loop.ticks.Load(), Target: s.cfg.Hz}
	t.Capacity = s.capacity.truth()
	return t
}

func (s *Server) handleTruth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := json.NewEncoder(w).Encode(s.Truth()); err != nil {
		s.log.Debug("fwsim: /truth", "err", err) // the client went away, or a NaN Hz
	}
}
