// Package featherweight is the k6 extension k6/x/featherweight: a native WebSocket streaming-chat
// client with LLM-grade metrics and a monitor for the Featherweight backend's 100 Hz loop.
package featherweight

import "go.k6.io/k6/js/modules"

func init() {
	modules.Register("k6/x/featherweight", new(RootModule))
}
