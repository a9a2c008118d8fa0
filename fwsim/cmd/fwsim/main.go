// Command fwsim runs the reference Featherweight backend (package fwsim).
//
// It prints exactly one line to stdout once it listens:
//
//	fwsim listening on http://HOST:PORT
//
// and logs everything else to stderr. SIGINT or SIGTERM shut it down cleanly: the HTTP server
// stops accepting, every WebSocket gets a going-away close frame, and the loop stops.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

func main() {
	os.Exit(realMain())
}

// realMain runs fwsim and returns the exit code (after the deferred signal cleanup has run).
func realMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		_, _ = fmt.Fprintln(os.Stderr, "fwsim:", err) // nowhere left to report a failed write
		return 2
	}
	return 0
}

// options are the flags that are not part of fwsim.Config.
type options struct {
	addr            string
	shutdownTimeout time.Duration
	verbose         bool
}

// parseFlags maps the command line onto a Config (starting from fwsim.DefaultConfig).
func parseFlags(args []string, stderr io.Writer) (fwsim.Config, options, error) {
	cfg := fwsim.DefaultConfig()
	var o options
	fs := flag.NewFlagSet("fwsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address (127.0.0.1:0 picks a free port)")
	fs.Float64Var(&cfg.Hz, "hz", cfg.Hz, "target loop frequency in Hz (below 100 = degraded loop)")
	fs.DurationVar(&cfg.HzWindow, "hz-window", cfg.HzWindow,
		"sliding window over which the achieved Hz is measured")
	fs.DurationVar(&cfg.LoopCatchUp, "loop-catch-up", cfg.LoopCatchUp,
		"how late a loop tick may run and still be made up (0 = never)")
	fs.IntVar(&cfg.Tokens, "tokens", cfg.Tokens, "tokens per reply")
	fs.DurationVar(&cfg.TTFT, "ttft", cfg.TTFT, "delay before the first token")
	fs.DurationVar(&cfg.ITL, "itl", cfg.ITL, "delay between tokens")
	fs.Float64Var(&cfg.Jitter, "jitter", cfg.Jitter, "uniform ± fraction (0..1) applied to ttft and itl")
	fs.IntVar(&cfg.TokenBytes, "token-bytes", cfg.TokenBytes, "characters per token")
	fs.Float64Var(&cfg.ErrorRate, "error-rate", cfg.ErrorRate,
		"fraction of turns that end with an error frame")
	fs.Float64Var(&cfg.CutRate, "cut-rate", cfg.CutRate,
		"fraction of turns in which the connection is cut mid-stream (no close frame)")
	fs.Float64Var(&cfg.RejectRate, "reject-rate", cfg.RejectRate,
		"fraction of WebSocket upgrades rejected with -reject-status")
	fs.IntVar(&cfg.RejectStatus, "reject-status", cfg.RejectStatus, "HTTP status of a rejected upgrade")
	fs.Float64Var(&cfg.MalformedRate, "malformed-rate", cfg.MalformedRate,
		"fraction of turns with one invalid-JSON frame mid-stream")
	fs.Float64Var(&cfg.StallRate, "stall-rate", cfg.StallRate,
		"fraction of turns that pause for -stall after the first token")
	fs.DurationVar(&cfg.Stall, "stall", cfg.Stall, "length of an injected stall")
	fs.BoolVar(&cfg.DisableMetrics, "no-metrics", false, "/metrics answers 404")
	fs.BoolVar(&cfg.DisableHealthz, "no-healthz", false, "/healthz answers 404")
	fs.Int64Var(&cfg.Seed, "seed", 0, "RNG seed (0 = time-based; the seed in use is logged)")
	fs.StringVar(&cfg.EndSentinel, "end-sentinel", cfg.EndSentinel, "end marker of a /ws/text reply")
	fs.IntVar(&cfg.MaxConns, "max-conns", cfg.MaxConns,
		"cap on concurrent WebSockets, beyond it upgrades get 503 (0 = no cap)")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout,
		"close a WebSocket with no client frame and no reply in progress for this long")
	fs.DurationVar(&cfg.HandshakeTimeout, "handshake-timeout", cfg.HandshakeTimeout,
		"bound on reading a request's headers (slowloris) and writing the upgrade")
	fs.IntVar(&cfg.MaxPendingItems, "max-pending-items", cfg.MaxPendingItems,
		"/v1/realtime: conversation items kept before response.create; beyond, an error event")
	fs.IntVar(&cfg.Capacity, "capacity", 0,
		"concurrent reply streams served at full speed; past it the loop and replies slow by streams/capacity (0 = no limit)")
	fs.IntVar(&cfg.RecordTurns, "record-turns", 0,
		"time up to N turns (prompt read, each token written) for /debug/turns (0 = off)")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", cfg.WriteTimeout, "bound on one frame write")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 5*time.Second, "grace period for HTTP shutdown")
	fs.BoolVar(&o.verbose, "v", false, "log connection-level errors to stderr")
	if err := fs.Parse(args); err != nil {
		return cfg, o, err
	}
	if fs.NArg() > 0 {
		return cfg, o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return cfg, o, cfg.Validate()
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg.Logger = log
	sim, err := fwsim.New(cfg)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.addr)
	if err != nil {
		return err
	}
	srv := sim.HTTPServer() // ReadHeaderTimeout and IdleTimeout from the config
	srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	if err := sim.Start(); err != nil {
		_ = ln.Close()
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if _, err := fmt.Fprintf(stdout, "fwsim listening on http://%s\n", ln.Addr()); err != nil {
		log.Warn("fwsim: writing the listening line", "err", err)
	}
	log.Info("fwsim started", "addr", ln.Addr().String(), "seed", sim.Seed(), "hz", cfg.Hz)

	select {
	case <-ctx.Done():
	case err = <-serveErr:
		_ = sim.Close()
		return err
	}
	log.Info("fwsim shutting down")
	// ctx is done: the grace period runs on a context that keeps its values but not its cancellation.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.shutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	_ = sim.Close()
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		log.Debug("fwsim: serve", "err", err)
	}
	if shutdownErr != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	return nil
}
