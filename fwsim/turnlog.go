package fwsim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// TurnTiming is fwsim's own timing of one turn: when the prompt frame was read and when each
// token frame was written. A load-test client's TTFT and ITL are checked against it, per turn
// by ID (the messageId) or by comparing distributions. Recorded only when Config.RecordTurns > 0.
type TurnTiming struct {
	ID         string  `json:"id"`             // the turn's messageId (or response id)
	Path       string  `json:"path"`           // the endpoint, e.g. /api/chat
	Outcome    string  `json:"outcome"`        // completed, failed or aborted
	Received   int64   `json:"received_ns"`    // Unix ns: the prompt frame was read
	FirstToken int64   `json:"first_token_ns"` // Unix ns: the first token frame's write returned (0: none)
	Tokens     int     `json:"tokens"`         // token frames written
	ITLMicros  []int32 `json:"itl_us"`         // gaps between consecutive token writes, in µs
}

// TTFT is the server-side time to first token (prompt read -> first token written), or 0.
func (t TurnTiming) TTFT() time.Duration {
	if t.FirstToken == 0 {
		return 0
	}
	return time.Duration(t.FirstToken - t.Received)
}

// String is the outcome's name in a TurnTiming: aborted, completed or failed.
func (o outcome) String() string {
	switch o {
	case outcomeAborted:
		return "aborted"
	case outcomeCompleted:
		return "completed"
	case outcomeFailed:
		return "failed"
	default:
		return "unknown"
	}
}

// turnLog keeps the first max TurnTimings; later turns are counted as dropped.
type turnLog struct {
	max     int
	mu      sync.Mutex
	recs    []TurnTiming
	dropped uint64
}

func (l *turnLog) add(r TurnTiming) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recs) >= l.max {
		l.dropped++
		return
	}
	l.recs = append(l.recs, r)
}

// TurnTimings returns the recorded turns (nil unless Config.RecordTurns > 0) and how many turns
// were not recorded because the log was full.
func (s *Server) TurnTimings() ([]TurnTiming, uint64) {
	if s.turnLog == nil {
		return nil, 0
	}
	s.turnLog.mu.Lock()
	defer s.turnLog.mu.Unlock()
	return slices.Clip(s.turnLog.recs), s.turnLog.dropped
}

// stampToken records that a token frame of t was just written (writer goroutine only).
func (t *turn) stampToken(now time.Time) {
	if t.first.IsZero() {
		t.first = now
	} else {
		t.itl = append(t.itl, itlMicros(now.Sub(t.last)))
	}
	t.last = now
}

// itlMicros is gap in whole microseconds, clamped to the int32 range of TurnTiming.ITLMicros
// (about 35 minutes; a gap that long between two token writes is clamped, not wrapped).
func itlMicros(gap time.Duration) int32 {
	us := min(max(gap/time.Microsecond, math.MinInt32), math.MaxInt32)
	return int32(us) // #nosec G115 -- us is clamped to the int32 range just above
}

// recordTurn appends the finished turn t to the log when recording is on.
func (c *wsConn) recordTurn(t *turn, o outcome) {
	l := c.s.turnLog
	if l == nil {
		return
	}
	r := TurnTiming{
		ID: t.req.id, Path: c.p.id().path(), Outcome: o.String(),
		Received: t.req.recv.UnixNano(), Tokens: t.sent, ITLMicros: t.itl,
	}
	if !t.first.IsZero() {
		r.FirstToken = t.first.UnixNano()
	}
	l.add(r)
	t.first, t.itl = time.Time{}, nil // the slice now belongs to the log
}

// handleTurns serves the recorded turns as JSON lines, one TurnTiming per line, then a last line
// {"dropped":N}.
func (s *Server) handleTurns(w http.ResponseWriter, _ *http.Request) {
	recs, dropped := s.TurnTimings()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	if err := writeTurns(w, recs, dropped); err != nil {
		s.log.Debug("fwsim: /debug/turns", "err", err) // the client went away
	}
}

// writeTurns writes recs as JSON lines, then the {"dropped":N} line.
func writeTurns(w io.Writer, recs []TurnTiming, dropped uint64) error {
	enc := json.NewEncoder(w)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return err
		}
	}
	return enc.Encode(droppedLine{Dropped: dropped})
}

// droppedLine is the last line of /debug/turns: how many turns the full log did not record.
type droppedLine struct {
	Dropped uint64 `json:"dropped"`
}

// maxTurnLine bounds one line of /debug/turns: a turn's ITL gaps are a few bytes per token.
const maxTurnLine = 64 << 20

// ReadTurns decodes what /debug/turns serves: the recorded turns and the dropped count of its
// last line. It is the client side of handleTurns, for the tools and tests that read fwsim's timing.
func ReadTurns(r io.Reader) ([]TurnTiming, uint64, error) {
	var recs []TurnTiming
	var dropped uint64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxTurnLine)
	for n := 1; sc.Scan(); n++ {
		var line struct {
			TurnTiming
			Dropped *uint64 `json:"dropped"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return recs, dropped, fmt.Errorf("/debug/turns line %d: %w", n, err)
		}
		if line.Dropped != nil {
			dropped = *line.Dropped
			continue
		}
		recs = append(recs, line.TurnTiming)
	}
	return recs, dropped, sc.Err()
}
