package featherweight

import "github.com/grafana/sobek"

// placeholder, replaced by the chat binding
func (mi *ModuleInstance) chat(url string, prompt string, params sobek.Value) sobek.Value { return nil }
func (mi *ModuleInstance) chatAsync(url string, prompt string, params sobek.Value) *sobek.Promise {
	return nil
}
func (mi *ModuleInstance) connect(url string, params sobek.Value) sobek.Value { return nil }
