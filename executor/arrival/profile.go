package arrival

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Stage is one span of a rate profile: over Duration the rate moves linearly from the previous
// rate (the start rate, for the first stage) to Target, in arrivals per second.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// Profile is a piecewise-linear mean arrival rate over a finite time span. Build it with
// [ConstantRate] or [RampingRate].
type Profile struct {
	spans []span
	total time.Duration
}

// span is one linear piece: from offset start (seconds), for length seconds, the rate goes from
// from to to (per second); area is the expected number of arrivals in it and before the area of the
// spans before it.
type span struct {
	start, length float64
	from, to      float64
	before, area  float64
}

// ErrBadProfile is wrapped by every error of [ConstantRate] and [RampingRate].
var ErrBadProfile = errors.New("bad arrival rate profile")

// ConstantRate is the profile of a constant rate perSecond for duration.
func ConstantRate(perSecond float64, duration time.Duration) (*Profile, error) {
	if !(perSecond > 0) || math.IsInf(perSecond, 0) {
		return nil, fmt.Errorf("%w: the rate must be a positive number, got %v", ErrBadProfile, perSecond)
	}
	if duration <= 0 {
		return nil, fmt.Errorf("%w: the duration must be positive, got %s", ErrBadProfile, duration)
	}
	return RampingRate(perSecond, []Stage{{Duration: duration, Target: perSecond}})
}

// RampingRate is the profile that starts at startPerSecond and follows stages. Rates must be
// finite and non-negative, durations non-negative, and the total duration positive.
func RampingRate(startPerSecond float64, stages []Stage) (*Profile, error) {
	if !validRate(startPerSecond) {
		return nil, fmt.Errorf("%w: the start rate must be a finite number >= 0, got %v", ErrBadProfile, startPerSecond)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("%w: no stages", ErrBadProfile)
	}
	p := &Profile{spans: make([]span, 0, len(stages))}
	rate, at, area := startPerSecond, 0.0, 0.0
	for i, st := range stages {
		if st.Duration < 0 {
			return nil, fmt.Errorf("%w: stage %d has a negative duration %s", ErrBadProfile, i+1, st.Duration)
		}
		if !validRate(st.Target) {
			return nil, fmt.Errorf("%w: stage %d has target %v, want a finite number >= 0", ErrBadProfile, i+1, st.Target)
		}
		length := st.Duration.Seconds()
		s := span{start: at, length: length, from: rate, to: st.Target, before: area}
		s.area = (s.from + s.to) / 2 * length
		p.spans = append(p.spans, s)
		p.total += st.Duration
		rate, at, area = st.Target, at+length, area+s.area
	}
	if p.total <= 0 {
		return nil, fmt.Errorf("%w: the stages last 0s", ErrBadProfile)
	}
	return p, nil
}

func validRate(r float64) bool { return r >= 0 && !math.IsInf(r, 0) && !math.IsNaN(r) }

// Duration is the span of the profile; no arrival happens at or after it.
func (p *Profile) Duration() time.Duration { return p.total }

// Expected is the expected number of arrivals over the whole profile (the integrated rate).
func (p *Profile) Expected() float64 {
	last := p.spans[len(p.spans)-1]
	return last.before + last.area
}

// PeakRate is the highest rate of the profile, per second.
func (p *Profile) PeakRate() float64 {
	peak := p.spans[0].from
	for _, s := range p.spans {
		peak = max(peak, s.to)
	}
	return peak
}

// RateAt is the profile's rate per second at offset t (0 outside the profile).
func (p *Profile) RateAt(t time.Duration) float64 {
	x := t.Seconds()
	for _, s := range p.spans {
		if x >= s.start && x < s.start+s.length {
			return s.from + (s.to-s.from)*(x-s.start)/s.length
		}
	}
	return 0
}

// invert returns the offset (seconds) at which the integrated rate reaches s, starting the search
// at span index from (the cursor of a monotonic caller), and the span index it ended in. ok is false
// when s is beyond the profile.
func (p *Profile) invert(s float64, from int) (seconds float64, spanIndex int, ok bool) {
	for i := from; i < len(p.spans); i++ {
		sp := p.spans[i]
		if s >= sp.before+sp.area || sp.area == 0 {
			continue
		}
		// Solve from*x + slope*x²/2 = delta for x in [0, length], in the form that stays stable for
		// a zero or negative slope: x = 2·delta / (from + sqrt(from² + 2·slope·delta)).
		delta := s - sp.before
		slope := (sp.to - sp.from) / sp.length
		disc := max(sp.from*sp.from+2*slope*delta, 0)
		den := sp.from + math.Sqrt(disc)
		x := 0.0
		if den > 0 {
			x = 2 * delta / den
		}
		return sp.start + min(x, sp.length), i, true
	}
	return 0, len(p.spans), false
}
