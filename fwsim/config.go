package fwsim

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config holds every knob of the simulator. Start from DefaultConfig and change what you need:
// the zero value of a numeric field is not its default (a zero Config fails validation).
type Config struct {
	// Hz is the target frequency of the loop, in ticks per second. Default 100.
	// Below 100 the loop runs degraded on purpose (/healthz turns 503 below DegradedBelowHz).
	Hz float64
	// HzWindow is the sliding window over which the achieved loop frequency is measured.
	// Default 1s.
	HzWindow time.Duration
	// LoopCatchUp is how late a tick may run and still be made up: a loop woken late runs the
	// ticks it owes back to back; ticks later than this are skipped (counted as missed) and lower
	// the achieved Hz. 0 means never catch up (a late wake-up loses every tick but one).
	// Default 200ms.
	LoopCatchUp time.Duration
	// DegradedBelowHz is the achieved frequency under which /healthz answers 503 "degraded".
	// Default 95.
	DegradedBelowHz float64

	// Tokens is the number of token-bearing frames in a reply. Default 24.
	Tokens int
	// TTFT is the delay between receiving a prompt and sending the first token. Default 40ms.
	TTFT time.Duration
	// ITL is the delay between two consecutive tokens. Default 15ms.
	ITL time.Duration
	// Jitter is the uniform ± fraction applied to every TTFT and ITL delay, in [0,1]. Default 0.2.
	Jitter float64
	// TokenBytes is the number of characters in one token's text. Default 4.
	TokenBytes int

	// ErrorRate is the fraction of turns that fail with an error frame (after at least one
	// token), followed by the reply's terminal frame as the real servers send it. Default 0.
	ErrorRate float64
	// CutRate is the fraction of turns in which the server closes the TCP connection mid-stream,
	// without a close frame (clients see an abnormal closure, 1006). Default 0.
	CutRate float64
	// RejectRate is the fraction of WebSocket upgrade requests rejected with RejectStatus.
	// Default 0.
	RejectRate float64
	// RejectStatus is the HTTP status of a rejected upgrade (400..599). Default 503.
	RejectStatus int
	// MalformedRate is the fraction of turns in which one mid-stream frame is invalid JSON
	// (a binary frame on /ws/text); the turn then goes on. Default 0.
	MalformedRate float64
	// StallRate is the fraction of turns that pause for Stall after their first token. Default 0.
	StallRate float64
	// Stall is the length of an injected stall. Default 10s.
	Stall time.Duration

	// DisableMetrics makes /metrics answer 404. Default false.
	DisableMetrics bool
	// DisableHealthz makes /healthz answer 404. Default false.
	DisableHealthz bool

	// Seed seeds the fault and reply generators. Default 0, which means "derive from the clock"
	// (Server.Seed reports the seed in use).
	Seed int64
	// EndSentinel is the frame that ends a reply on /ws/text. Default "[END]".
	EndSentinel string
	// MaxConns caps concurrent WebSocket connections (handshakes in progress included); upgrades
	// beyond it get HTTP 503. 0 means no cap. Default 20000.
	MaxConns int
	// IdleTimeout closes a WebSocket (close code 1001, "idle timeout") when no client data frame
	// arrived and no reply was being streamed for this long; pings do not count as activity.
	// It also bounds idle keep-alive HTTP connections (Server.HTTPServer). Default 2m.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds reading an HTTP request's headers (http.Server.ReadHeaderTimeout,
	// against slowloris handshakes; see Server.HTTPServer) and writing the upgrade response.
	// Default 10s.
	HandshakeTimeout time.Duration
	// MaxPendingItems caps the conversation items a /v1/realtime connection keeps for its next
	// response.create; an item beyond it, or one that would make the pending text longer than
	// ReadLimit, is answered with an error event and dropped. Default 64.
	MaxPendingItems int
	// Capacity is the number of concurrent reply streams the server handles at full speed. Past it
	// the loop slows to Hz*Capacity/streams and every reply delay stretches by streams/Capacity
	// (see docs/capacity.md). Default 0 (no limit).
	Capacity int

	// WriteTimeout bounds one frame write; a client that does not read is dropped. Default 10s.
	WriteTimeout time.Duration
	// ReadLimit is the largest client message accepted, in bytes. Default 1 MiB.
	ReadLimit int64
	// RecordTurns is how many turns to time for /debug/turns (TurnTiming: prompt read, each
	// token written); later turns are counted as dropped. Default 0 (off).
	RecordTurns int
	// Logger receives connection-level errors. Default nil (discard).
	Logger *slog.Logger
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Hz:               100,
		HzWindow:         time.Second,
		DegradedBelowHz:  95,
		LoopCatchUp:      200 * time.Millisecond,
		Tokens:           24,
		TTFT:             40 * time.Millisecond,
		ITL:              15 * time.Millisecond,
		Jitter:           0.2,
		TokenBytes:       4,
		RejectStatus:     503,
		Stall:            10 * time.Second,
		EndSentinel:      "[END]",
		MaxConns:         20000,
		IdleTimeout:      2 * time.Minute,
		HandshakeTimeout: 10 * time.Second,
		MaxPendingItems:  64,
		WriteTimeout:     10 * time.Second,
		ReadLimit:        1 << 20,
	}
}

// ErrInvalidConfig is matched (errors.Is) by every ConfigError.
var ErrInvalidConfig = errors.New("fwsim: invalid config")

// ConfigError reports one invalid Config field. New returns all of them joined (errors.Join);
// use errors.As to get the first.
type ConfigError struct {
	Field  string // the Config field name, e.g. "Hz"
	Value  any    // the rejected value
	Reason string // what a valid value looks like
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("fwsim: invalid config: %s=%v: %s", e.Field, e.Value, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Validate checks every field and returns the joined ConfigErrors, or nil.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, v any, reason string) {
		errs = append(errs, &ConfigError{Field: field, Value: v, Reason: reason})
	}
	if !(c.Hz > 0 && c.Hz <= 10000) {
		bad("Hz", c.Hz, "must be in (0, 10000]")
	}
	if c.HzWindow < 10*time.Millisecond {
		bad("HzWindow", c.HzWindow, "must be at least 10ms")
	}
	if c.LoopCatchUp < 0 {
		bad("LoopCatchUp", c.LoopCatchUp, "must be >= 0")
	}
	if c.DegradedBelowHz < 0 {
		bad("DegradedBelowHz", c.DegradedBelowHz, "must be >= 0")
	}
	if c.Tokens < 1 || c.Tokens > 1_000_000 {
		bad("Tokens", c.Tokens, "must be in [1, 1000000]")
	}
	if c.TTFT < 0 {
		bad("TTFT", c.TTFT, "must be >= 0")
	}
	if c.ITL < 0 {
		bad("ITL", c.ITL, "must be >= 0")
	}
	if c.Stall < 0 {
		bad("Stall", c.Stall, "must be >= 0")
	}
	if c.TokenBytes < 1 || c.TokenBytes > 1<<16 {
		bad("TokenBytes", c.TokenBytes, "must be in [1, 65536]")
	}
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"Jitter", c.Jitter},
		{"ErrorRate", c.ErrorRate},
		{"CutRate", c.CutRate},
		{"RejectRate", c.RejectRate},
		{"MalformedRate", c.MalformedRate},
		{"StallRate", c.StallRate},
	} {
		if !(r.v >= 0 && r.v <= 1) {
			bad(r.name, r.v, "must be a fraction in [0, 1]")
		}
	}
	if c.RejectStatus < 400 || c.RejectStatus > 599 {
		bad("RejectStatus", c.RejectStatus, "must be an HTTP error status in [400, 599]")
	}
	if c.EndSentinel == "" {
		bad("EndSentinel", c.EndSentinel, "must not be empty")
	}
	c.validateConn(bad)
	return errors.Join(errs...)
}

// validateConn checks the connection limits and timeouts for Validate.
func (c Config) validateConn(bad func(field string, v any, reason string)) {
	if c.MaxConns < 0 {
		bad("MaxConns", c.MaxConns, "must be >= 0 (0 = no cap)")
	}
	if c.IdleTimeout <= 0 {
		bad("IdleTimeout", c.IdleTimeout, "must be > 0")
	}
	if c.HandshakeTimeout <= 0 {
		bad("HandshakeTimeout", c.HandshakeTimeout, "must be > 0")
	}
	if c.MaxPendingItems < 1 || c.MaxPendingItems > 1<<20 {
		bad("MaxPendingItems", c.MaxPendingItems, "must be in [1, 1048576]")
	}
	if c.Capacity < 0 {
		bad("Capacity", c.Capacity, "must be >= 0 (0 = no limit)")
	}
	if c.RecordTurns < 0 {
		bad("RecordTurns", c.RecordTurns, "must be >= 0 (0 = off)")
	}
	if c.WriteTimeout <= 0 {
		bad("WriteTimeout", c.WriteTimeout, "must be > 0")
	}
	if c.ReadLimit < 64 {
		bad("ReadLimit", c.ReadLimit, "must be at least 64 bytes")
	}
}
