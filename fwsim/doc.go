// Package fwsim is the reference Featherweight backend: a real WebSocket server that streams
// chat replies in five framings, runs a measured 100 Hz loop exported on /metrics and /healthz,
// injects faults on request, and keeps ground truth to check a load test against.
//
// # Endpoints
//
//	/api/chat          Featherweight orchestrator framing (the default)
//	/ws/unified-chat   Featherweight unified chat framing (alias /api/chat/unified)
//	/v1/chat/stream    OpenAI-style chat.completion.chunk frames, then [DONE]
//	/v1/realtime       OpenAI Realtime-style events (text)
//	/ws/text           plain text frames ended by Config.EndSentinel
//	/metrics           Prometheus text exposition (own registry, Go and process collectors)
//	/healthz           {"status","hz","timestamp","uptime","backend"}; 503 while 0 < hz < 95
//	/debug/truth       the Truth counters as JSON
//	/debug/turns       per-turn timings as JSON lines (Config.RecordTurns > 0)
//
// # Concurrency
//
// Each WebSocket has exactly two goroutines: the HTTP handler's, which reads and parses client
// messages, and one writer, which owns every data frame (gorilla/websocket allows one concurrent
// writer). Turns on one connection are sequential: prompts that arrive mid-turn queue (up to 4,
// then reading pauses). Delays use one reusable time.Timer per connection, never a goroutine per
// token. Frames are appended into a per-connection buffer: no per-frame maps or reflection.
// Server.Close may run concurrently with everything; it sends a going-away close frame through
// WriteControl (safe alongside the writer) and then closes the socket.
//
// # Determinism
//
// The reply text is a function of (seed, prompt). Fault draws come from a per-connection PRNG
// seeded from the server's, so a fixed Config.Seed with the same connection order repeats a run.
package fwsim
