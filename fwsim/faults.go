package fwsim

import (
	"math/rand/v2"
	"time"
)

// plan is what happens to one turn, rolled when the turn starts. Positions count tokens already
// sent: an event "at k" happens after k tokens and before token k+1. -1 means "not in this turn".
type plan struct {
	cutAt       int // close the TCP connection without a close frame
	errorAt     int // send the framing's error frame and end the turn
	malformedAt int // send one invalid frame, then go on
	stall       bool
}

// midStream returns a position in [1, tokens-1], or tokens when tokens == 1 (after the only token).
func midStream(r *rand.Rand, tokens int) int {
	if tokens <= 2 {
		return 1
	}
	return 1 + r.IntN(tokens-1)
}

// roll draws the turn's faults. A cut and an error frame both end the turn: when both are drawn
// the one at the earlier position wins (the cut on a tie).
func (c *Config) roll(r *rand.Rand) plan {
	p := plan{cutAt: -1, errorAt: -1, malformedAt: -1}
	if c.CutRate > 0 && r.Float64() < c.CutRate {
		p.cutAt = midStream(r, c.Tokens)
	}
	if c.ErrorRate > 0 && r.Float64() < c.ErrorRate {
		p.errorAt = midStream(r, c.Tokens)
		if p.cutAt >= 0 && p.cutAt <= p.errorAt {
			p.errorAt = -1
		} else if p.cutAt >= 0 {
			p.cutAt = -1
		}
	}
	if c.MalformedRate > 0 && r.Float64() < c.MalformedRate {
		p.malformedAt = midStream(r, c.Tokens)
	}
	if c.StallRate > 0 && r.Float64() < c.StallRate {
		p.stall = true
	}
	return p
}

// jittered applies the uniform ± Jitter fraction to d.
func (c *Config) jittered(r *rand.Rand, d time.Duration) time.Duration {
	if c.Jitter == 0 || d == 0 {
		return d
	}
	f := 1 + c.Jitter*(2*r.Float64()-1)
	return time.Duration(float64(d) * f)
}
