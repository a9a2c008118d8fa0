package fwsim

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// ErrClosed is returned by Start after Close.
var ErrClosed = errors.New("fwsim: server closed")

// Server is the simulated Featherweight backend. Create it with New, serve Handler on a
// listener, call Start to run the loop, and Close to stop the loop and close every WebSocket.
type Server struct {
	cfg      Config
	seed     int64
	log      *slog.Logger
	started  time.Time
	loop     *loop
	registry *prometheus.Registry
	handler  http.Handler
	upgrader websocket.Upgrader
	counters counters
	capacity capacityModel
	turnLog  *turnLog // nil unless Config.RecordTurns > 0

	rngMu sync.Mutex
	rng   *rand.Rand // seeds per-connection generators and draws rejections

	mu       sync.Mutex
	conns    map[*wsConn]struct{}
	closed   bool
	running  bool
	loopDone chan struct{}
	wg       sync.WaitGroup // connection goroutines and the loop
	connSeq  uint64
}

// New validates cfg and builds a Server. The error wraps one *ConfigError per invalid field.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		seed:     cfg.Seed,
		log:      cfg.Logger,
		started:  time.Now(),
		conns:    make(map[*wsConn]struct{}),
		loopDone: make(chan struct{}),
		capacity: capacityModel{limit: int64(cfg.Capacity)},
	}
	if s.seed == 0 {
		s.seed = time.Now().UnixNano()
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.RecordTurns > 0 {
		s.turnLog = &turnLog{max: cfg.RecordTurns}
	}
	// The seed's bits seed the PRNG (a negative seed wraps, as intended); it draws simulated
	// jitter and faults, never anything secret.
	s.rng = rand.New(rand.NewPCG(uint64(s.seed), 0x66776d73696d)) // #nosec G115 G404 -- simulation PRNG
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: cfg.HandshakeTimeout,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
		WriteBufferPool:  &sync.Pool{},
		CheckOrigin:      func(*http.Request) bool { return true },
	}
	var tickDur prometheus.Histogram
	// The loop is created before the registry (the gauges read it); the histograms are wired after.
	s.loop = newLoop(cfg.Hz, cfg.HzWindow, cfg.LoopCatchUp, s.tickWork)
	s.loop.admit = s.capacity.admit
	s.registry, tickDur = s.newRegistry()
	s.loop.dur = tickDur
	s.handler = s.routes()
	return s, nil
}

// Config returns the configuration in use.
func (s *Server) Config() Config { return s.cfg }

// Seed returns the seed in use (Config.Seed, or the clock-derived one when that was 0).
func (s *Server) Seed() int64 { return s.seed }

// Handler returns the HTTP handler serving every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer returns an http.Server for Handler with the configured bounds: ReadHeaderTimeout
// (Config.HandshakeTimeout) against slowloris handshakes and IdleTimeout (Config.IdleTimeout) for
// idle keep-alive connections. Set its Addr (or call Serve), ErrorLog and the like as needed.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.HandshakeTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
	}
}

// Start runs the loop in a goroutine. It returns ErrClosed after Close; a second Start is a no-op.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.running {
		return nil
	}
	s.running = true
	s.wg.Go(func() { s.loop.run(s.loopDone) })
	return nil
}

// Close stops the loop, refuses new upgrades, sends a going-away close frame on every open
// WebSocket, closes them and waits for their goroutines. It is safe to call more than once.
// It does not close the http.Server's listener: call http.Server.Shutdown first.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	close(s.loopDone)
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		if c.ws == nil { // still in its handshake: attach will refuse it
			continue
		}
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown(websocket.CloseGoingAway, "fwsim shutting down")
	}
	s.wg.Wait()
	return nil
}

// tickWork is the loop's per-tick work: it samples the chat state, as a real loop would
// observe its inputs. Kept tiny so it never limits the achieved frequency.
func (s *Server) tickWork() {
	_ = s.counters.active.Load()
	_ = s.counters.tokens.Load()
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	ps := protocols()
	for i, p := range ps {
		mux.Handle(protocolID(i).path(), s.wsHandler(p))
	}
	for path, id := range protocolAliases() {
		mux.Handle(path, s.wsHandler(ps[id]))
	}
	metrics := s.metricsHandler()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.DisableMetrics {
			http.NotFound(w, r)
			return
		}
		metrics.ServeHTTP(w, r)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.DisableHealthz {
			http.NotFound(w, r)
			return
		}
		s.handleHealthz(w, r)
	})
	mux.HandleFunc("/debug/truth", s.handleTruth)
	mux.HandleFunc("/debug/turns", s.handleTurns)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "fwsim: the reference Featherweight backend\n\n"+
			"/api/chat          Featherweight orchestrator (WebSocket)\n"+
			"/ws/unified-chat   unified chat (WebSocket; alias /api/chat/unified)\n"+
			"/v1/chat/stream    OpenAI-style chunks (WebSocket)\n"+
			"/v1/realtime       OpenAI Realtime-style events (WebSocket)\n"+
			"/ws/text           plain text frames (WebSocket)\n"+
			"/metrics /healthz /debug/truth\n")
	})
	return mux
}

// chance draws from the server RNG.
func (s *Server) chance(rate float64) bool {
	if rate <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < rate
}

// connRand returns a generator for one connection, seeded from the server RNG so that a run
// with a fixed seed and the same connection order is reproducible.
func (s *Server) connRand() *rand.Rand {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return rand.New(rand.NewPCG(s.rng.Uint64(), s.rng.Uint64())) // #nosec G404 -- simulated jitter and faults
}

// Run starts the loop, waits for ctx to end, then closes the server (see Close).
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}
