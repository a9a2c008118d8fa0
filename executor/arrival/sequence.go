package arrival

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// pcgStream is the fixed second word of the PCG state; the seed is the first. Changing it changes
// every seeded sequence, so it is part of the reproducibility contract.
const pcgStream = 0x6f70656e2d6d6f64 // "open-mod"

// Options determine a [Sequence] completely.
type Options struct {
	// Profile is the mean rate over time (required).
	Profile *Profile
	// Burstiness is the gamma shape k of the gaps: 1 is a Poisson process, smaller is burstier
	// (the gaps' coefficient of variation is 1/sqrt(k)), larger is more regular. Must be > 0.
	Burstiness float64
	// Seed seeds the generator; equal options give equal sequences.
	Seed uint64
}

// Arrival is one planned iteration start.
type Arrival struct {
	// Index counts the arrivals of the sequence from 0.
	Index int64
	// At is the offset from the start of the sequence.
	At time.Duration
}

// Sequence yields the arrivals of one run in order. It is not safe for concurrent use.
type Sequence struct {
	profile *Profile
	gaps    gapSampler
	s       float64 // operational time of the last arrival
	cursor  int     // span of the last arrival
	next    int64   // index of the next arrival
	done    bool
}

// ErrBadBurstiness is returned for a burstiness that is not a positive finite number.
var ErrBadBurstiness = errors.New("burstiness must be a positive number")

// NewSequence returns the sequence for opts.
func NewSequence(opts Options) (*Sequence, error) {
	if opts.Profile == nil {
		return nil, fmt.Errorf("%w: no profile", ErrBadProfile)
	}
	if !(opts.Burstiness > 0) || math.IsInf(opts.Burstiness, 0) {
		return nil, fmt.Errorf("%w, got %v", ErrBadBurstiness, opts.Burstiness)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, pcgStream)) // #nosec G404 -- a reproducible schedule, not a secret
	return &Sequence{profile: opts.Profile, gaps: gapSampler{rng: rng, shape: opts.Burstiness}}, nil
}

// Next returns the next arrival, or false once the profile's duration is over.
func (q *Sequence) Next() (Arrival, bool) {
	if q.done {
		return Arrival{}, false
	}
	q.s += q.gaps.next()
	seconds, cursor, ok := q.profile.invert(q.s, q.cursor)
	at := time.Duration(seconds * float64(time.Second))
	if !ok || at >= q.profile.total {
		q.done = true
		return Arrival{}, false
	}
	q.cursor = cursor
	a := Arrival{Index: q.next, At: at}
	q.next++
	return a, true
}

// All returns every arrival of the sequence for opts (for tests and offline analysis; a run uses
// Next).
func All(opts Options) ([]Arrival, error) {
	q, err := NewSequence(opts)
	if err != nil {
		return nil, err
	}
	out := make([]Arrival, 0, int(opts.Profile.Expected()*1.1)+16)
	for a, ok := q.Next(); ok; a, ok = q.Next() {
		out = append(out, a)
	}
	return out, nil
}
