// Command fwk8svalidate validates Kubernetes manifests offline against the k6-operator's TestRun
// CRD (make test-deploy; docs/deploy.md):
//
//	fwk8svalidate -crd k6.io_testruns.yaml [-invalid 'GLOB'] [-min-parallelism N] MANIFEST...
//
// It converts the CRD's schemas to strict JSON schemas (unknown fields are errors), adds a strict
// core/v1 ConfigMap schema, and validates with kubeconform's library: every MANIFEST must be valid
// (kinds with no offline schema, -skip, are skipped), every file matching -invalid must be rejected
// as invalid (proving the validation catches errors), and every TestRun must run at least
// -min-parallelism runners. Every flag has an FW_K8SVALIDATE_* variable (docs/tools.md). Exit
// status: 0 pass, 99 a check failed (judged failed), 2 bad usage or unreadable CRD.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/yannh/kubeconform/pkg/validator"
	"sigs.k8s.io/yaml"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line.
type options struct {
	crd            string
	invalid        string
	skip           string
	minParallelism int
	manifests      []string
}

func parse(args []string, env knob.LookupEnv, stderr io.Writer) (options, error) {
	var o options
	fs := knob.New("fwk8svalidate", env, stderr)
	fs.StringVar(&o.crd, "crd", "FW_K8SVALIDATE_CRD", "", "the k6-operator TestRun CRD (k6.io_testruns.yaml)")
	fs.StringVar(&o.invalid, "invalid", "FW_K8SVALIDATE_INVALID", "", "glob of manifests that must be rejected as invalid")
	fs.StringVar(&o.skip, "skip", "FW_K8SVALIDATE_SKIP", "Deployment,Service,Job", "kinds with no offline schema, skipped")
	fs.IntVar(&o.minParallelism, "min-parallelism", "FW_K8SVALIDATE_MIN_PARALLELISM", 2,
		"fewest runners a TestRun may ask for (a distributed run)")
	fs.Usage = func() {
		printf(stderr, "usage: fwk8svalidate [flags] MANIFEST...\n  %s\nflags:\n", knob.Rule)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.manifests = fs.Args()
	switch {
	case o.crd == "":
		return o, errors.New("-crd (or FW_K8SVALIDATE_CRD) is required: the k6-operator's k6.io_testruns.yaml")
	case len(o.manifests) == 0:
		return o, errors.New("give the manifests to validate")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, knob.OSEnv(), stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitcode.Pass
	}
	if err != nil {
		printf(stderr, "fwk8svalidate: %v\n", err)
		return exitcode.BadInput
	}
	dir, err := os.MkdirTemp("", "fwk8svalidate-")
	if err != nil {
		printf(stderr, "fwk8svalidate: %v\n", err)
		return exitcode.BadInput
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if _, err := os.Stat(o.crd); err != nil {
		printf(stderr, "FAIL: the k6-operator TestRun CRD is not at %s\n"+
			"      (CI checks shared/ out next to the clone; set -crd or FW_K8SVALIDATE_CRD=/path/to/"+
			"k6.io_testruns.yaml)\n", o.crd)
		return exitcode.BadInput
	}
	names, err := writeSchemas(o.crd, dir)
	if err != nil {
		printf(stderr, "fwk8svalidate: %v\n", err)
		return exitcode.BadInput
	}
	slices.Sort(names)
	printf(stdout, "schemas: %s (from %s)\n", strings.Join(names, ", "), filepath.Base(o.crd))
	skip := map[string]struct{}{}
	for k := range strings.SplitSeq(o.skip, ",") {
		if k = strings.TrimSpace(k); k != "" {
			skip[k] = struct{}{}
		}
	}
	v, err := validator.New([]string{filepath.Join(dir, "{{.ResourceKind}}_{{.ResourceAPIVersion}}.json")},
		validator.Opts{Strict: true, SkipKinds: skip})
	if err != nil {
		printf(stderr, "fwk8svalidate: %v\n", err)
		return exitcode.BadInput
	}
	failed := false
	for _, m := range o.manifests {
		if err := checkValid(v, m, o.minParallelism, stdout); err != nil {
			printf(stderr, "FAIL: %v\n", err)
			failed = true
		}
	}
	rejected, err := checkInvalid(v, o.invalid, stdout)
	if err != nil {
		printf(stderr, "FAIL: %v\n", err)
		failed = true
	}
	if failed {
		return exitcode.Failed
	}
	printf(stdout, "PASS k8s-validate (CRD %s, %d manifests valid, %d broken manifests rejected)\n",
		filepath.Base(o.crd), len(o.manifests), rejected)
	return exitcode.Pass
}

// checkValid validates a manifest file that must pass, and each TestRun's parallelism.
func checkValid(v validator.Validator, path string, minParallelism int, stdout io.Writer) error {
	results, err := validate(v, path)
	if err != nil {
		return err
	}
	for _, r := range results {
		kind := "?"
		if sig, err := r.Resource.Signature(); err == nil {
			kind = sig.Kind + " " + sig.Name
		}
		switch r.Status {
		case validator.Valid:
			printf(stdout, "valid:    %s (%s)\n", path, kind)
		case validator.Skipped, validator.Empty:
			printf(stdout, "skipped:  %s (%s: no offline schema)\n", path, kind)
			continue
		default:
			return fmt.Errorf("%s (%s): %w", path, kind, r.Err)
		}
		if err := checkParallelism(r.Resource.Bytes, minParallelism); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// checkParallelism refuses a TestRun that asks for fewer than min runners.
func checkParallelism(doc []byte, minParallelism int) error {
	var tr struct {
		Kind string `json:"kind"`
		Spec struct {
			Parallelism int `json:"parallelism"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(doc, &tr); err != nil || tr.Kind != "TestRun" {
		return nil //nolint:nilerr // not a TestRun: nothing to check (the schema has judged it)
	}
	if tr.Spec.Parallelism < minParallelism {
		return fmt.Errorf("TestRun parallelism %d: want at least %d runners", tr.Spec.Parallelism, minParallelism)
	}
	return nil
}

// checkInvalid validates every file matching glob, each of which must be rejected as invalid by
// its schema (not fail for another reason), and returns how many were.
func checkInvalid(v validator.Validator, glob string, stdout io.Writer) (int, error) {
	if glob == "" {
		return 0, nil
	}
	files, err := filepath.Glob(glob)
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no file matches -invalid %s", glob)
	}
	for _, f := range files {
		results, err := validate(v, f)
		if err != nil {
			return 0, err
		}
		invalid := slices.IndexFunc(results, func(r validator.Result) bool { return r.Status == validator.Invalid })
		if invalid < 0 {
			return 0, fmt.Errorf("%s passed validation (or failed for another reason); "+
				"it must be rejected as invalid: %v", f, results)
		}
		printf(stdout, "rejected as expected: %s\n      %v\n", f, results[invalid].Err)
	}
	return len(files), nil
}

// validate runs the validator over one file's documents.
func validate(v validator.Validator, path string) ([]validator.Result, error) {
	f, err := os.Open(path) // #nosec G304 -- a manifest the user names
	if err != nil {
		return nil, err
	}
	results := v.Validate(path, f) // closes f
	if len(results) == 0 {
		return nil, fmt.Errorf("%s: no Kubernetes resource", path)
	}
	return results, nil
}

// printf writes a line of output; a failed write to the terminal has nowhere to be reported.
func printf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}
