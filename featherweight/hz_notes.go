package featherweight

import (
	"net/url"

	"go.k6.io/k6/lib"

	"github.com/featherweight/xk6-featherweight/hz"
)

// hzNotes logs where a monitor's readings come from, so a fallback is never silent and never
// noisy: a warning the first time a reading comes from the healthz endpoint for a given cause
// ("/metrics answered 404"), so once per run for a backend without /metrics and once more only
// if the cause changes; and one info line the first time /metrics answers again after a
// fallback. A monitor configured with healthz alone logs nothing: that source is its choice.
type hzNotes struct {
	warned    map[string]bool
	fellBack  bool
	recovered bool
}

func (n *hzNotes) log(state *lib.State, cfg hz.Config, r hz.Reading) {
	if state.Logger == nil {
		return
	}
	switch {
	case r.Fallback != nil:
		n.fellBack = true
		if n.warned[r.Fallback.Note] {
			return
		}
		if n.warned == nil {
			n.warned = map[string]bool{}
		}
		n.warned[r.Fallback.Note] = true
		state.Logger.
			WithField("source", hz.SourceHealthz).
			WithField(tagErrorKind, string(r.Fallback.Err.Kind)).
			WithField("url", hz.RedactURL(cfg.HealthzURL)).
			WithField("error", r.Fallback.Err.Error()).
			Warnf("HzMonitor: Hz readings come from %s because %s; their samples carry source=healthz "+
				"(logged once per cause)", urlPath(cfg.HealthzURL, "/healthz"), r.Fallback.Note)
	case r.OK && r.Source == hz.SourceMetrics && n.fellBack && !n.recovered:
		n.recovered = true
		state.Logger.
			WithField("source", hz.SourceMetrics).
			WithField("url", hz.RedactURL(cfg.URL)).
			Infof("HzMonitor: Hz readings come from %s again (logged once)", urlPath(cfg.URL, "/metrics"))
	}
}

// urlPath is raw's path, or dflt when it has none.
func urlPath(raw, dflt string) string {
	if u, err := url.Parse(raw); err == nil && u.Path != "" {
		return u.Path
	}
	return dflt
}
