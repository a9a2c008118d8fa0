package chatws

import "time"

// TokensSource says where Result.Tokens comes from. The values are stable: they are the result's
// tokensSource in JS.
type TokensSource string

// Token sources.
const (
	TokensUsage  TokensSource = "usage"  // the server reported a usage count
	TokensFrames TokensSource = "frames" // counted token-bearing frames
)

// Result is the outcome and timing of one turn.
type Result struct {
	OK           bool
	Err          *Error // nil when OK
	Start        time.Time
	MessageID    string
	Tokens       int          // Usage when TokensSource is TokensUsage, else Chunks
	TokensSource TokensSource // TokensUsage or TokensFrames
	Chunks       int          // token-bearing frames received
	HasTTFT      bool
	TTFT         time.Duration
	Duration     time.Duration // prompt written -> terminal frame (or failure)
	HasTPOT      bool
	TPOT         time.Duration
	// ITLs are the gaps between consecutive token-bearing frames not yet handed to
	// TurnOptions.ITLSink (all of them without a sink; fewer than ITLBatch with one). They alias a
	// Conn buffer valid until the next Turn.
	ITLs      []time.Duration
	ITL       ITLSummary // summary of all the turn's gaps, sink or not
	CloseCode int        // close code when the socket closed during the turn (1006 abnormal)
	Text      string     // reply text, up to KeepTextBytes
}
