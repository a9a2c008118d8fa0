package featherweight

// Temporary: pins dependencies while the packages are being written.
import (
	_ "github.com/gorilla/websocket"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/common/expfmt"
	_ "github.com/stretchr/testify/require"
	_ "go.k6.io/k6/js/modules"
	_ "go.k6.io/k6/js/modulestest"
	_ "go.k6.io/k6/metrics"
	_ "go.uber.org/goleak"
	_ "github.com/grafana/sobek"
)
