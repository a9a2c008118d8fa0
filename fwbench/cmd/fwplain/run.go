package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/featherweight/xk6-featherweight/fwbench/internal/bench"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

// runOptions are the flags of `fwplain run`.
type runOptions struct {
	url         string        // the orchestrator endpoint, ws://HOST:PORT/api/chat
	users       int           // concurrent users, one WebSocket each
	duration    time.Duration // no turn starts after this; turns in flight finish (bounded by turnTimeout)
	prompt      string        // the prompt of every turn
	turnTimeout time.Duration // bound on one turn (write to terminal frame); default 30s
	turnsOut    string        // file for one "turn <id> <ttft_ms>" line per completed turn ("" = none)
	ramp        time.Duration // users connect evenly over this span (part of duration); 0 = all at once
}

func parseRunFlags(args []string, env knob.LookupEnv, stderr io.Writer) (runOptions, error) {
	var o runOptions
	fs := knob.New("fwplain run", env, stderr)
	fs.StringVar(&o.url, "url", "FW_PLAIN_URL", "ws://127.0.0.1:8080/api/chat", "Featherweight orchestrator WebSocket URL")
	fs.IntVar(&o.users, "users", "FW_PLAIN_USERS", 10, "concurrent users (one WebSocket each, turns back to back)")
	fs.DurationVar(&o.duration, "duration", "FW_PLAIN_DURATION", 10*time.Second, "how long users start new turns")
	fs.StringVar(&o.prompt, "prompt", "FW_PLAIN_PROMPT", "How is the loop doing?", "prompt of every turn")
	fs.DurationVar(&o.turnTimeout, "turn-timeout", "FW_PLAIN_TURN_TIMEOUT", 30*time.Second, "bound on one turn")
	fs.DurationVar(&o.ramp, "ramp", "FW_PLAIN_RAMP", 0,
		"spread the users' connects evenly over this span (counted in -duration)")
	fs.StringVar(&o.turnsOut, "turns", "FW_PLAIN_TURNS", "",
		`write "turn <messageId> <ttft_ms>" per completed turn to this file`)
	fs.Usage = func() {
		printf(stderr, "usage: fwplain run [flags]\n  %s\nflags:\n", knob.Rule)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case o.users < 1:
		return o, errors.New("-users must be >= 1")
	case o.duration <= 0 || o.turnTimeout <= 0:
		return o, errors.New("-duration and -turn-timeout must be > 0")
	case o.ramp < 0 || o.ramp >= o.duration:
		return o, errors.New("-ramp must be in [0, -duration)")
	}
	return o, nil
}

// userStats is one user's tally; merged once the user is done.
type userStats struct {
	turns, failed, tokens int64
	ttft, itl             []float64 // ms
	lines                 []byte    // "turn <id> <ttft_ms>\n" per completed turn (when -turns)
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseRunFlags(args, knob.OSEnv(), stderr)
	if err != nil {
		return badInput(err)
	}
	sum, lines, err := runLoad(ctx, o)
	if err != nil {
		return err
	}
	if o.turnsOut != "" {
		// #nosec G306 -- per-turn client timings with no secrets, read by the benchmark report (internal/bench)
		if err := os.WriteFile(o.turnsOut, lines, 0o644); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}

// runLoad runs o.users users until o.duration has passed and merges their tallies.
func runLoad(ctx context.Context, o runOptions) (bench.ClientSummary, []byte, error) {
	deadline := time.Now().Add(o.duration)
	stats := make([]userStats, o.users)
	var wg sync.WaitGroup
	for i := range stats {
		wg.Go(func() {
			if o.ramp > 0 {
				select {
				case <-time.After(o.ramp * time.Duration(i) / time.Duration(o.users)):
				case <-ctx.Done():
					return
				}
			}
			runUser(ctx, o, i, deadline, &stats[i])
		})
	}
	wg.Wait()
	sum := bench.ClientSummary{Client: "plain"}
	var ttft, itl []float64
	var lines []byte
	for i := range stats {
		s := &stats[i]
		sum.Turns += s.turns
		sum.Failed += s.failed
		sum.Tokens += s.tokens
		ttft = append(ttft, s.ttft...)
		itl = append(itl, s.itl...)
		lines = append(lines, s.lines...)
	}
	sum.TTFT = bench.Quantile(ttft)
	sum.ITL = bench.Quantile(itl)
	if sum.Turns == 0 && sum.Failed > 0 {
		return sum, lines, fmt.Errorf("no turn completed (%d failed): is fwsim at %s?", sum.Failed, o.url)
	}
	return sum, lines, ctx.Err()
}

// userMessage is the orchestrator's prompt frame.
type userMessage struct {
	Type      string `json:"type"`
	Content   string `json:"content"`
	MessageID string `json:"messageId"`
	Timestamp string `json:"timestamp"`
}

// serverFrame is every orchestrator frame the client cares about.
type serverFrame struct {
	Type  string `json:"type"`
	Event struct {
		Type      string `json:"type"`
		Data      string `json:"data"`
		MessageID string `json:"messageId"`
	} `json:"event"`
	Content   string `json:"content"`
	MessageID string `json:"messageId"`
}

// runUser is one user: one WebSocket, turns back to back until the deadline.
func runUser(ctx context.Context, o runOptions, user int, deadline time.Time, s *userStats) {
	dctx, cancel := context.WithTimeout(ctx, o.turnTimeout)
	conn, resp, err := websocket.DefaultDialer.DialContext(dctx, o.url, nil)
	cancel()
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		s.failed++
		return
	}
	defer func() { _ = conn.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	prefix := "plain-" + strconv.Itoa(user) + "-"
	for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
		if !turn(conn, o, prefix+strconv.Itoa(n), s) {
			return // the socket is unusable after a failed read or write
		}
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
}

// turn runs one turn; false when it failed (the user stops: its socket is in an unknown state).
func turn(conn *websocket.Conn, o runOptions, id string, s *userStats) bool {
	msg, err := json.Marshal(userMessage{
		Type: "user_message", Content: o.prompt, MessageID: id,
		Timestamp: time.Now().UTC().Format(time.RFC3339Nano),
	})
	if err != nil {
		s.failed++
		return false
	}
	_ = conn.SetWriteDeadline(time.Now().Add(o.turnTimeout))
	if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
		s.failed++
		return false
	}
	start := time.Now() // prompt written
	_ = conn.SetReadDeadline(start.Add(o.turnTimeout))
	var last time.Time
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			s.failed++
			return false
		}
		now := time.Now()
		var f serverFrame
		if err := json.Unmarshal(data, &f); err != nil {
			continue // not JSON: not ours
		}
		switch {
		case f.Type == "error" && (f.MessageID == "" || f.MessageID == id):
			s.failed++
			return true
		case f.Type != "stream_event" || (f.Event.MessageID != "" && f.Event.MessageID != id):
			continue
		case f.Event.Type == "token" && f.Event.Data != "":
			s.tokens++
			if last.IsZero() {
				s.ttft = append(s.ttft, ms(now.Sub(start)))
				if o.turnsOut != "" {
					s.lines = fmt.Appendf(s.lines, "turn %s %.3f\n", id, ms(now.Sub(start)))
				}
			} else {
				s.itl = append(s.itl, ms(now.Sub(last)))
			}
			last = now
		case f.Event.Type == "complete":
			if last.IsZero() {
				s.failed++ // a reply without a token
				return true
			}
			s.turns++
			return true
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
