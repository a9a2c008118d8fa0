package compare

import (
	"io"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// Summary is a k6 summary of the bundled scenario; the summaries compared carry its identity.
type Summary = scenario.Summary

// Load reads the summary at path and checks that it carries the scenario's identity.
func Load(path string) (*Summary, error) {
	s, err := scenario.ReadSummaryFile(path)
	if err != nil {
		return nil, err
	}
	return s, s.RequireIdentity()
}

// Read reads a summary and checks that it carries the scenario's identity; name labels it in errors.
func Read(r io.Reader, name string) (*Summary, error) {
	s, err := scenario.ReadSummary(r, name)
	if err != nil {
		return nil, err
	}
	return s, s.RequireIdentity()
}
