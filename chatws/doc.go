// Package chatws is a streaming-chat WebSocket client that times LLM-style token streams.
//
// It is plain Go (no k6 imports) so it can be tested and reused without k6; the k6 binding
// (package featherweight) turns a [Result] into k6 samples.
//
// # Usage
//
//	conn, info, err := chatws.Dial(ctx, "ws://127.0.0.1:8080/api/chat", chatws.Options{})
//	if err != nil { ... } // a *chatws.Error of Kind failure.KindConnect, KindHandshake or KindCanceled
//	defer conn.Close()
//	res := conn.Turn(ctx, "hello", chatws.TurnOptions{})
//	if !res.OK { log.Print(res.Err.Kind) }
//
// A turn runs as a small state machine (turn.go): it writes the prompt, awaits the first token,
// streams until the terminal frame, and is done; each read's deadline follows from the phase.
//
// # Timing
//
// All durations come from the monotonic clock. A frame is stamped right after the socket read of
// its whole message returns, before it is decoded.
//   - TTFT: prompt frame written -> first frame that carries non-empty token text. Role-only, empty,
//     keepalive and unrecognised frames do not count.
//   - ITL: every gap between consecutive token-bearing frames (one value per gap), handed to
//     TurnOptions.ITLSink in batches of ITLBatch as the reply streams, and summarised in
//     Result.ITL in constant memory: a long reply does not grow the turn's memory.
//   - Duration: prompt frame written -> terminal frame (or the failure, for a failed turn).
//   - TPOT: (Duration - TTFT) / (Tokens - 1), only for a successful turn with Tokens > 1.
//   - Tokens: the server-reported usage when the protocol carries it (TokensSource "usage"),
//     otherwise the number of token-bearing frames (TokensSource "frames").
//
// # Timeouts and cancellation
//
// Timeouts are enforced with read deadlines: until the first token the deadline is
// min(written+FirstToken, written+Total); after it, min(lastToken+Idle, written+Total).
// Cancelling the context passed to Turn (or Dial) ends a blocked read or prompt write at once
// (context.AfterFunc closes the socket) and the turn fails with Kind failure.KindCanceled.
//
// Each codec says whether an error frame is the end of the reply (Event.Final). A final error
// (a unified chat error, which comes alone; a Featherweight schema error; a rejected Realtime
// client event) ends the turn at once and the next turn on the Conn starts normally.
// Once a turn's failure is decided by an undecodable frame (failure.KindProtocol) or by an error frame
// that is not the end of the reply (OpenAI's error then [DONE], Realtime's error then
// response.done "failed", Featherweight's upstream error then complete, ...), the turn reads
// on to the reply's terminal frame, waiting at most min(Idle, 1s) for each frame, so that the rest
// of the reply does not leak into the next turn on the same Conn. When the terminal frame does
// not come in time, the Conn is given up: later turns fail with failure.KindClosed.
//
// A read error (timeout, cancellation, a dropped socket, an oversize frame) leaves the underlying
// gorilla/websocket connection unusable: every later Turn on the same Conn fails with failure.KindClosed.
// A server error frame (failure.KindServerError) or an undecodable frame (failure.KindProtocol) does not break it,
// unless the reply's terminal frame then fails to arrive (see above).
//
// # Concurrency
//
// A Conn runs one turn at a time: concurrent Turn calls are serialised. Close may be called
// concurrently with Turn; the turn then fails with failure.KindClosed. Result.ITLs aliases a buffer owned by
// the Conn and is valid until the next Turn on that Conn; copy it to keep it.
package chatws
