// Command fwdataset writes a deterministic synthetic chat dataset as JSONL, one conversation per
// line, in the shapes the bundled scenario reads with FW_DATASET (see docs/workloads.md):
//
//	fwdataset [-n 200] [-seed 1] [-format sharegpt|turns] [-o FILE]
//
// Each flag has an FW_DATASETGEN_* variable (docs/tools.md).
//
// ShareGPT lines hold human and gpt turns (and now and then a system turn first); plain lines hold
// the human turns only. Prompt lengths vary from a few words to pasted logs and code, with quotes,
// newlines and non-ASCII text, so that a load test sees production-like variety. All text is made
// here from a fixed vocabulary: no third-party text. The same flags always write the same bytes.
// The small datasets in examples/data/ are written by it (see examples/data/README.md), and so is
// the 100,000-conversation file of the memory measurement in docs/workloads.md.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return runWith(args, knob.OSEnv(), stdout, stderr)
}

// runWith is run with its environment.
func runWith(args []string, env knob.LookupEnv, stdout, stderr io.Writer) int {
	fs := knob.New("fwdataset", env, stderr)
	var opts Options
	var out, format string
	fs.IntVar(&opts.Conversations, "n", "FW_DATASETGEN_N", 200, "conversations to write")
	fs.Uint64Var(&opts.Seed, "seed", "FW_DATASETGEN_SEED", 1, "seed of the generator: the same seed writes the same file")
	fs.StringVar(&format, "format", "FW_DATASETGEN_FORMAT", string(ShareGPT), "line shape: sharegpt or turns")
	fs.StringVar(&out, "o", "FW_DATASETGEN_OUT", "-", "output file (- for stdout)")
	fs.Usage = func() {
		_, _ = fmt.Fprintf(stderr, "usage: fwdataset [flags]\n  %s\nflags:\n", knob.Rule)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitcode.Pass
		}
		if errors.Is(err, knob.ErrEnv) {
			_, _ = fmt.Fprintf(stderr, "fwdataset: %v\n", err)
		}
		return exitcode.BadInput
	}
	opts.Format = Format(format)
	if err := opts.validate(); err != nil || fs.NArg() > 0 {
		if err == nil {
			err = fmt.Errorf("unexpected arguments %q", fs.Args())
		}
		_, _ = fmt.Fprintf(stderr, "fwdataset: %v\n", err)
		return exitcode.BadInput
	}
	if err := write(out, stdout, opts); err != nil {
		_, _ = fmt.Fprintf(stderr, "fwdataset: %v\n", err)
		return exitcode.Error
	}
	return exitcode.Pass
}

// write generates the dataset into the file out ("-": stdout).
func write(out string, stdout io.Writer, opts Options) (err error) {
	w := stdout
	if out != "-" {
		f, err := os.Create(out) // #nosec G304 -- the output file the user names
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, f.Close()) }()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := Generate(bw, opts); err != nil {
		return err
	}
	return bw.Flush()
}
