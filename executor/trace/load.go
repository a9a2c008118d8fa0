package trace

import (
	"os"
	"path/filepath"
	"sync"
)

// loaded holds every trace file a process parsed: the trace-arrival executor and each VU's
// fw.traceRow() read the same rows, parsed once. Keyed by absolute path and format.
//
//nolint:gochecknoglobals // process-wide by design: k6 gives the executor and the JS module no shared object
var loaded cache

type cache struct {
	mu      sync.Mutex
	entries map[cacheKey]*entry
}

type cacheKey struct {
	path   string
	format Format
}

type entry struct {
	once  sync.Once
	trace *Trace
	err   error
}

// Load reads and parses the trace at path (relative to the working directory) in format f ("":
// detected), once per process: later calls with the same file and format return the same Trace,
// which callers must not modify. Errors name the file, and the line when one is at fault.
func Load(path string, f Format) (*Trace, error) {
	key := cacheKey{path: path, format: f}
	if abs, err := filepath.Abs(path); err == nil {
		key.path = abs
	}
	loaded.mu.Lock()
	if loaded.entries == nil {
		loaded.entries = map[cacheKey]*entry{}
	}
	e, ok := loaded.entries[key]
	if !ok {
		e = &entry{}
		loaded.entries[key] = e
	}
	loaded.mu.Unlock()
	e.once.Do(func() {
		data, err := os.ReadFile(path) // #nosec G304 -- the trace file the script names
		if err != nil {
			e.err = err
			return
		}
		e.trace, e.err = Parse(path, data, f)
	})
	return e.trace, e.err
}
