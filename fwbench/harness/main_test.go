package harness

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// asFwsim makes the test binary stand in for bin/fwsim (the real fwsim server, in-process): it
// listens on the -addr flag, prints fwsim's "listening" line and serves until SIGINT. With
// -exit-at-start it exits at once, as a fwsim given a bad flag does.
const asFwsim = "HARNESS_TEST_AS_FWSIM"

func TestMain(m *testing.M) {
	if os.Getenv(asFwsim) == "1" {
		os.Exit(serveFwsim(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func serveFwsim(args []string) int {
	fs := flag.NewFlagSet("fwsim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return 2 // the flag package has printed the error to stderr, as fwsim does
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT)
	defer stop()
	cfg := fwsim.DefaultConfig()
	cfg.RecordTurns = 10
	sim, err := fwsim.New(cfg)
	if err != nil {
		return 1
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *addr)
	if err != nil {
		return 1
	}
	srv := sim.HTTPServer()
	if sim.Start() != nil {
		return 1
	}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintln(os.Stderr, "fwsim: starting")
	fmt.Printf("fwsim listening on http://%s\n", ln.Addr())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	_ = sim.Close()
	fmt.Println("fwsim stopped")
	if errors.Is(ctx.Err(), context.Canceled) {
		return 0
	}
	return 1
}

// testFwsim starts the test binary as fwsim.
func testFwsim(t *testing.T, flags ...string) (*Fwsim, *strings.Builder) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(asFwsim, "1")
	var log strings.Builder
	f, err := StartFwsim(t.Context(), FwsimOptions{Binary: self, Flags: flags, Log: &log})
	if err != nil {
		return nil, &log
	}
	t.Cleanup(func() { _ = f.Stop() })
	return f, &log
}
