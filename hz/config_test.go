package hz

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigErrorNamesTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg          Config
		field, error string
	}{
		{Config{}, "URL", "hz: URL is required"},
		{Config{URL: "ftp://x/m"}, "URL", `hz: URL scheme must be http or https, got "ftp://x/m"`},
		{Config{URL: "http://x", HealthzURL: "http:///h"}, "HealthzURL", `hz: HealthzURL "http:///h" has no host`},
		{Config{URL: "http://x", Mode: "rate"}, "Mode", `hz: Mode must be auto, gauge, counter or histogram, got "rate"`},
		{Config{URL: "http://x", Aggregate: "p50"}, "Aggregate", `hz: Aggregate must be mean, min, max or sum, got "p50"`},
		{Config{URL: "http://x", MaxBodyBytes: -2}, "MaxBodyBytes", "hz: MaxBodyBytes must be positive, got -2"},
		{Config{URL: "http://x", Min: math.Inf(1)}, "Min", "hz: Min must be a finite number, got +Inf"},
	} {
		err := tc.cfg.Validate()
		var ce *ConfigError
		require.True(t, errors.As(err, &ce), "%v", err)
		require.Equal(t, tc.field, ce.Field)
		require.EqualError(t, err, tc.error)
		_, err = New(tc.cfg, nil)
		require.True(t, errors.As(err, &ce), "New reports the same typed error: %v", err)
	}
}
