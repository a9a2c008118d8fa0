package hz

import "time"

// baseline is a cumulative series' value at its previous successful scrape.
type baseline struct {
	value    float64
	at       time.Time
	fromExpo bool // at came from the exposition's timestamp, not the local clock
}

// rates holds the baselines of the cumulative series of one family in one mode.
type rates struct {
	family string
	mode   Mode
	bases  map[string]baseline
}

// rateResult is the outcome of one observation.
type rateResult struct {
	hz    []float64 // one rate per series; nil when any series had no rate this time
	reset bool      // a series went down: its interval was skipped
	next  rates     // the state to keep if the reading succeeds
}

// observe computes per-series rates for the selected series of ex, seen at local time now.
// It does not modify r: the caller commits res.next only when the whole reading succeeds.
// See the package documentation for the reset and zero-elapsed rules.
func (r *rates) observe(ex extraction, now time.Time) rateResult {
	prev := r.bases
	if r.family != ex.family || r.mode != ex.mode {
		prev = nil // a different family or mode: start over
	}
	res := rateResult{
		next: rates{family: ex.family, mode: ex.mode, bases: make(map[string]baseline, len(ex.series))},
	}
	hz := make([]float64, 0, len(ex.series))
	complete := true
	for _, s := range ex.series {
		cur := baseline{value: s.value, at: now}
		if s.hasTs {
			cur.at, cur.fromExpo = time.UnixMilli(s.tsMs), true
		}
		old, ok := prev[s.key]
		switch {
		case !ok || old.fromExpo != cur.fromExpo:
			complete = false // first sight: baseline only
		case cur.value < old.value:
			complete, res.reset = false, true // reset: skip this interval
		case !cur.at.After(old.at):
			complete = false // no time passed: keep the older baseline
			cur = old
		default:
			hz = append(hz, (cur.value-old.value)/cur.at.Sub(old.at).Seconds())
		}
		res.next.bases[s.key] = cur
	}
	if complete {
		res.hz = hz
	}
	return res
}
