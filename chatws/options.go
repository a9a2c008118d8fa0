package chatws

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// Default values applied by Options and TurnOptions when a field is zero.
const (
	DefaultConnectTimeout    = 10 * time.Second
	DefaultFirstTokenTimeout = 60 * time.Second
	DefaultIdleTimeout       = 30 * time.Second
	DefaultTotalTimeout      = 120 * time.Second
	DefaultMaxFrameBytes     = 1 << 20 // 1 MiB
	DefaultEndSentinel       = "[END]"
	DefaultTextErrorPrefix   = "[ERROR] "
	DefaultOpenAIModel       = "featherweight"
	DefaultTypeField         = "type"    // custom: dotted path of the event type
	DefaultTextField         = "content" // custom: dotted path of the token text
	DefaultErrorField        = "message" // custom: dotted path of the error text
)

// Values of Protocol.DoneOn (openai).
const (
	DoneOnDone         = "done"          // the [DONE] frame ends the turn (default)
	DoneOnFinishReason = "finish_reason" // the first chunk with finish_reason set ends the turn
)

// Timeouts bound each phase of a connection and a turn. A zero field selects its default.
type Timeouts struct {
	// Connect bounds TCP + TLS + WebSocket handshake. Default 10s.
	Connect time.Duration
	// FirstToken bounds prompt written -> first token-bearing frame. Default 60s.
	FirstToken time.Duration
	// Idle bounds the gap between consecutive token-bearing frames (and from the last token to
	// the terminal frame). Default 30s.
	Idle time.Duration
	// Total bounds prompt written -> terminal frame. Default 120s.
	Total time.Duration
}

func (t Timeouts) withDefaults(base Timeouts) Timeouts {
	if t.Connect <= 0 {
		t.Connect = base.Connect
	}
	if t.FirstToken <= 0 {
		t.FirstToken = base.FirstToken
	}
	if t.Idle <= 0 {
		t.Idle = base.Idle
	}
	if t.Total <= 0 {
		t.Total = base.Total
	}
	return t
}

// defaultTimeouts are the Default*Timeout constants as a Timeouts.
func defaultTimeouts() Timeouts {
	return Timeouts{
		Connect:    DefaultConnectTimeout,
		FirstToken: DefaultFirstTokenTimeout,
		Idle:       DefaultIdleTimeout,
		Total:      DefaultTotalTimeout,
	}
}

// Options configure Dial. The zero value is usable: featherweight protocol, default timeouts.
type Options struct {
	// Headers are sent with the upgrade request (e.g. Authorization, User-Agent).
	Headers http.Header
	// Subprotocols are offered in Sec-WebSocket-Protocol.
	Subprotocols []string
	// Protocol selects the wire framing. Zero value: "featherweight".
	Protocol Protocol
	// Codec, when set, overrides Protocol with a caller-provided framing.
	Codec Codec
	// Timeouts for the connection and the default for each turn.
	Timeouts Timeouts
	// MaxFrameBytes caps one received message; a larger one fails the turn with failure.KindProtocol
	// and breaks the connection. Default 1 MiB.
	MaxFrameBytes int64
	// KeepTextBytes keeps up to this many bytes of the reply text in Result.Text. Default 0 (none).
	KeepTextBytes int
	// NetDialContext dials TCP (k6: state.Dialer.DialContext). Default net.Dialer.
	NetDialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// InnerConn finds the TCP connection inside the connections NetDialContext returns, when
	// they wrap it (k6's do), so that reads can take the kernel's arrival stamps. Default nil:
	// the dialled connection is used as it is.
	InnerConn InnerConn
	// ReadReturnClock times frames when the read returns instead of by the kernel's stamp of
	// their arrival (see arrival.go). Default false: arrival stamps where the platform has them.
	ReadReturnClock bool
	// TLSConfig for wss:// URLs (k6: a clone of state.TLSConfig). Default nil (Go defaults).
	TLSConfig *tls.Config
	// Proxy selects a proxy per request. Default nil: no proxy.
	Proxy func(*http.Request) (*url.URL, error)
	// ReadBufferSize is gorilla's read buffer per connection. Default 1 KiB: chat frames are small,
	// and a larger message is read in several chunks (Conn keeps its own message buffer).
	ReadBufferSize int
	// WriteBufferPool, when set, lends write buffers to connections only while they write a
	// message (gorilla's BufferPool): share one across many connections to save about 4 KiB per
	// stream. Default nil: each connection keeps its own write buffer.
	WriteBufferPool websocket.BufferPool
}

// TurnOptions configure one Turn. Zero fields inherit the connection's Options.
type TurnOptions struct {
	// MessageID identifies the turn on the wire (featherweight, custom {{messageId}}).
	// Default: a random id.
	MessageID string
	// Timeouts for this turn; zero fields inherit the connection's (Connect is unused).
	Timeouts Timeouts
	// KeepTextBytes overrides Options.KeepTextBytes when > 0; a negative value keeps none.
	KeepTextBytes int
	// ITLSink, when set, receives the turn's inter-token gaps in batches of ITLBatch as they
	// arrive, on the Turn's goroutine; the slice is reused after the call returns. The gaps of the
	// last, partial batch are left in Result.ITLs. Without a sink, Result.ITLs holds every gap (its
	// memory grows with the reply).
	ITLSink func(gaps []time.Duration)
}

// Protocol describes a built-in framing and its options. Only the fields of the named
// protocol are read.
type Protocol struct {
	// Name: "featherweight", "featherweight-unified", "openai", "openai-realtime", "text" or
	// "custom". Empty selects "custom" when a custom mapping field is set, else "featherweight"
	// (see EffectiveName).
	Name string

	// Request is a request template for openai, openai-realtime, featherweight-unified and
	// custom. Placeholders {{prompt}}, {{messageId}}, {{model}} and {{timestamp}} are replaced by
	// their JSON-escaped values (without quotes, so write "{{prompt}}" inside a JSON string).
	// For openai-realtime, several frames are separated by a line holding only "---".
	Request string

	// Model for the openai/openai-realtime default request. Default "featherweight".
	Model string
	// DoneOn for openai: "done" (default: the [DONE] frame ends the turn) or "finish_reason"
	// (the first chunk with finish_reason set ends it).
	DoneOn string

	// EndSentinel for text: the frame (or frame suffix) that ends the reply. Default "[END]".
	EndSentinel string
	// ErrorPrefix for text: a frame starting with it is a server error (the rest is the message).
	// Default "[ERROR] ".
	ErrorPrefix string

	// Custom mapping. PromptField (dotted path) builds a JSON request {"a":{"b":prompt}} when
	// Request is empty; with neither, the prompt is sent as a raw text frame.
	PromptField string
	TypeField   string   // dotted path of the event type. Default "type".
	TokenTypes  []string // type values that carry token text. Required for custom.
	DoneTypes   []string // type values that end the turn. Required for custom.
	ErrorTypes  []string // type values that fail the turn with failure.KindServerError.
	TextField   string   // dotted path of the token text. Default "content".
	ErrorField  string   // dotted path of the error text. Default "message".
	UsageField  string   // dotted path of a token count in a done frame. Optional.
}
