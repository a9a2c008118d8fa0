package featherweight

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/featherweight/xk6-featherweight/internal/dataset"
)

// errDatasetOutsideInit is thrown by fw.dataset() in VU code: a file is loaded while VUs start.
var errDatasetOutsideInit = errors.New("fw.dataset() can only be called in the init context")

// datasets holds every dataset file a k6 process loaded: each is read once, whatever the number
// of VUs, and shared read-only by all of them.
type datasets struct {
	mu     sync.Mutex
	byPath map[string]*datasetEntry
}

// datasetEntry is one file: its conversations, the distinct ones handed out, and the seeded
// orders asked for so far.
type datasetEntry struct {
	load  sync.Once
	data  *dataset.Dataset
	err   error
	usage *dataset.Usage

	mu         sync.Mutex
	orders     map[uint64]dataset.Order
	randomSeed *uint64 // the seed chosen for calls without one, once per process
}

// entry returns the entry of the file at path (relative to the working directory), loading it on
// first use; concurrent first uses wait for one load.
func (ds *datasets) entry(path string) *datasetEntry {
	key, err := filepath.Abs(path)
	if err != nil {
		key = path
	}
	ds.mu.Lock()
	if ds.byPath == nil {
		ds.byPath = map[string]*datasetEntry{}
	}
	e, ok := ds.byPath[key]
	if !ok {
		e = &datasetEntry{orders: map[uint64]dataset.Order{}}
		ds.byPath[key] = e
	}
	ds.mu.Unlock()
	e.load.Do(func() {
		e.data, e.err = dataset.Load(path)
		if e.err == nil {
			e.usage = dataset.NewUsage(e.data.Len())
		}
	})
	return e
}

// order returns the permutation for seed, computed once per seed; chosen reports a seed picked
// at random because the script gave none (the same one for every VU of the process).
func (e *datasetEntry) order(seed *uint64) (o dataset.Order, used uint64, chosen bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if seed == nil {
		if e.randomSeed == nil {
			s := rand.Uint64N(1 << 53) // #nosec G404 -- a repeatable order, printed, not a secret
			e.randomSeed = &s
			chosen = true
		}
		seed = e.randomSeed
	}
	o, ok := e.orders[*seed]
	if !ok {
		o = dataset.NewOrder(e.data.Len(), *seed)
		e.orders[*seed] = o
	}
	return o, *seed, chosen
}

// datasetOptions are fw.dataset's options.
type datasetOptions struct {
	seed *uint64
}

func datasetOptionTable() *optionTable[datasetOptions] {
	return &optionTable[datasetOptions]{skipNullish: true, options: []option[datasetOptions]{
		{"seed", func(_ *sobek.Runtime, dst *datasetOptions, v sobek.Value, name string) error {
			n, err := optInt(v, name)
			if err != nil {
				return err
			}
			s := uint64(max(n, 0)) // optInt returns n >= 0
			dst.seed = &s
			return nil
		}},
	}}
}

// dataset implements fw.dataset(path, options?): the conversations of a JSONL file, loaded once
// per process, in a seeded order.
func (mi *ModuleInstance) dataset(path, options sobek.Value) *sobek.Object {
	rt := mi.vu.Runtime()
	if mi.vu.State() != nil {
		common.Throw(rt, errDatasetOutsideInit)
	}
	var p string
	var err error
	if !common.IsNullish(path) {
		p, err = optString(path, "path")
	}
	if err != nil || p == "" {
		common.Throw(rt, fmt.Errorf("fw.dataset: path must be a non-empty string, got %s", typeOf(path)))
	}
	var opts datasetOptions
	obj, err := optObject(rt, options, "options")
	if err == nil && obj != nil {
		err = datasetOptionTable().parse(rt, obj, &opts, nil)
	}
	if err != nil {
		common.Throw(rt, fmt.Errorf("fw.dataset: %w", err))
	}
	e := mi.datasets.entry(p)
	if e.err != nil {
		common.Throw(rt, fmt.Errorf("fw.dataset: %w", e.err))
	}
	order, seed, chosen := e.order(opts.seed)
	d := e.data
	if chosen {
		mi.vu.InitEnv().Logger.Infof("dataset %s: no seed given, conversations in the order of seed %d "+
			"(give it to repeat this order)", d.Name(), seed)
	}
	return mi.datasetObject(e, order, seed)
}

// datasetObject is the JS Dataset over one entry and one order.
func (mi *ModuleInstance) datasetObject(e *datasetEntry, order dataset.Order, seed uint64) *sobek.Object {
	rt := mi.vu.Runtime()
	d := e.data
	obj := rt.NewObject()
	must := func(err error) {
		if err != nil {
			common.Throw(rt, err)
		}
	}
	constant := func(name string, v any) {
		must(obj.DefineDataProperty(name, rt.ToValue(v), sobek.FLAG_FALSE, sobek.FLAG_FALSE, sobek.FLAG_TRUE))
	}
	constant("name", d.Name())
	constant("size", d.Len())
	constant("prompts", d.Prompts())
	constant("skipped", d.Skipped())
	constant("seed", seed)
	must(obj.DefineAccessorProperty("used", rt.ToValue(func() int { return e.usage.Count() }), nil,
		sobek.FLAG_FALSE, sobek.FLAG_TRUE))
	// conversation(session) is a fresh JS array of the human turns of the conversation the
	// seeded order gives session number `session` (a copy: the dataset is shared by every VU).
	must(obj.Set("conversation", func(session sobek.Value) sobek.Value {
		if common.IsNullish(session) {
			common.Throw(rt, fmt.Errorf("dataset %s: conversation(session) needs a session number", d.Name()))
		}
		k, err := optInt(session, "conversation(session)")
		if err != nil {
			common.Throw(rt, fmt.Errorf("dataset %s: %w", d.Name(), err))
		}
		i := order.Index(uint64(max(k, 0))) // optInt returns k >= 0
		e.usage.Mark(i)
		turns := d.Conversation(i)
		vals := make([]any, len(turns))
		for j, s := range turns {
			vals[j] = s
		}
		return rt.NewArray(vals...)
	}))
	return obj
}
