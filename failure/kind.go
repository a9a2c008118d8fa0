// Package failure holds the one vocabulary of failure kinds shared by the chat client (chatws) and
// the Hz monitor (hz). A Kind is a stable string: the k6 binding exposes it as a JS error's `kind`
// and as the `error_kind` tag of fw_chat_errors and fw_hz_scrape_failed, so one threshold or
// dashboard filter (`{error_kind:connect}`) reads both.
package failure

// Kind classifies why a chat turn, a dial or a scrape failed. The values are stable.
type Kind string

// Kinds both clients report.
const (
	KindConnect  Kind = "connect"  // the request or dial failed before a response: TCP, DNS, TLS, proxy, blocked host
	KindCanceled Kind = "canceled" // the caller's context ended (k6: gracefulStop, abort, the VU is stopping)
)

// Kinds of a chat turn or dial (chatws).
const (
	KindHandshake         Kind = "handshake"           // the server answered the upgrade with a non-101 response
	KindTimeoutFirstToken Kind = "timeout_first_token" // no token-bearing frame within Timeouts.FirstToken
	KindTimeoutIdle       Kind = "timeout_idle"        // a gap between token-bearing frames exceeded Timeouts.Idle
	KindTimeoutTotal      Kind = "timeout_total"       // the turn exceeded Timeouts.Total
	KindClosed            Kind = "closed"              // the socket closed or dropped before the terminal frame
	KindServerError       Kind = "server_error"        // the server sent an error frame for this turn
	KindProtocol          Kind = "protocol"            // undecodable or oversize frame, or an unencodable write
	KindInternal          Kind = "internal"            // a client bug: a turn goroutine panicked (stack logged)
)

// Kinds of a scrape (hz).
const (
	KindHTTPStatus    Kind = "http_status"    // a non-2xx response (for healthz: other than 2xx and 503)
	KindTimeout       Kind = "timeout"        // the scrape's timeout elapsed (connect, headers or body)
	KindRead          Kind = "read"           // the connection failed while reading the body
	KindBodyTooLarge  Kind = "body_too_large" // the body exceeded the configured maximum
	KindParse         Kind = "parse"          // not valid Prometheus text format; a query answer that is not a vector
	KindMissingMetric Kind = "missing_metric" // no such family, no series matching the labels, an empty query result
	KindAmbiguous     Kind = "ambiguous"      // several series match and no aggregate is configured
	KindTypeMismatch  Kind = "type_mismatch"  // the family's type can't be read in the configured mode
	KindNaN           Kind = "nan"            // a selected value (or the computed Hz) is NaN or ±Inf
	KindHealthzParse  Kind = "healthz_parse"  // the healthz body is not JSON with a numeric "hz"
	KindInvalidURL    Kind = "invalid_url"    // the request could not be built
)

// ChatKinds lists the kinds a chat turn or dial reports, for documentation and tests.
func ChatKinds() []Kind {
	return []Kind{
		KindConnect, KindHandshake, KindTimeoutFirstToken, KindTimeoutIdle, KindTimeoutTotal, KindClosed,
		KindServerError, KindProtocol, KindCanceled, KindInternal,
	}
}

// HzKinds lists the kinds a scrape reports, for documentation and tests.
func HzKinds() []Kind {
	return []Kind{
		KindHTTPStatus, KindTimeout, KindConnect, KindRead, KindBodyTooLarge, KindParse,
		KindMissingMetric, KindAmbiguous, KindTypeMismatch, KindNaN, KindHealthzParse,
		KindCanceled, KindInvalidURL,
	}
}
