package executor

import (
	"go.k6.io/k6/lib"
)

func init() {
	lib.RegisterExecutorConfigType(PoissonType, newPoissonConfigFromJSON)
	lib.RegisterExecutorConfigType(RampingPoissonType, newRampingPoissonConfigFromJSON)
	lib.RegisterExecutorConfigType(TraceType, newTraceConfigFromJSON)
}
