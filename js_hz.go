package featherweight

import "github.com/grafana/sobek"

// placeholder, replaced by the Hz binding
func (mi *ModuleInstance) newHzMonitor(call sobek.ConstructorCall) *sobek.Object { return nil }
