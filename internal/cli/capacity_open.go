package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/featherweight/xk6-featherweight/internal/capacity"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

// turnAllowance is the time the session-time estimate gives a turn past its TTFT budget (FW_TTFT_P95):
// the reply's streaming.
const turnAllowance = time.Second

// scenarioDefaults are the bundled scenario's turns and think time (seconds) of an FW_PROFILE.
func scenarioDefaults(profile string) (turns, think float64) {
	if profile == "smoke" {
		return 2, 0.5
	}
	return 3, 2
}

// checkOpenModel reads the rate search's FW_MAX_VUS and estimates the mean session time when
// -session-time is not given.
func (c *capacityConfig) checkOpenModel(env knob.LookupEnv) error {
	if c.opts.Unit != capacity.UnitRate {
		if c.sessionTime > 0 {
			return fmt.Errorf("FW_CAPACITY_SESSION_TIME=%s applies to the rate search: set FW_ARRIVAL=poisson (or unset it)",
				c.sessionTime)
		}
		return nil
	}
	if v, ok := env("FW_MAX_VUS"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("FW_MAX_VUS=%q: expected a positive integer", v)
		}
		c.maxVUs = n
	}
	if c.sessionTime > 0 {
		return nil
	}
	est, err := estimateSessionTime(env)
	if err != nil {
		return err
	}
	c.sessionTime = est
	return nil
}

// estimateSessionTime bounds the scenario's mean session time from its knobs: FW_TURNS turns, each
// within its TTFT budget (FW_TTFT_P95) plus turnAllowance of streaming, with FW_THINK between them.
func estimateSessionTime(env knob.LookupEnv) (time.Duration, error) {
	profile, _ := env("FW_PROFILE")
	turns, think := scenarioDefaults(profile)
	ttftMS := 2000.0
	for _, k := range []struct {
		name string
		p    *float64
	}{{"FW_TURNS", &turns}, {"FW_THINK", &think}, {"FW_TTFT_P95", &ttftMS}} {
		v, ok := env(k.name)
		if !ok || v == "" {
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 {
			return 0, fmt.Errorf("%s=%q: expected a non-negative number", k.name, v)
		}
		*k.p = x
	}
	turns = max(turns, 1)
	secs := turns*(ttftMS/1000+turnAllowance.Seconds()) + (turns-1)*think
	return time.Duration(secs * float64(time.Second)), nil
}

// printCriteria says how the rate search sizes the generator and what else fails a step.
func (c *capacityConfig) printCriteria(w io.Writer) {
	if c.opts.Unit == capacity.UnitRate {
		if c.maxVUs > 0 {
			printf(w, "capacity: FW_MAX_VUS=%d at every step", c.maxVUs)
		} else {
			printf(w, "capacity: FW_MAX_VUS per step = %d x rate x session time %s + %d (Little's law with headroom; "+
				"set FW_MAX_VUS or -session-time to change it)", capacity.VUHeadroom, c.sessionTime, capacity.MinMaxVUs)
		}
		printf(w, "; a step that drops more than %.0f%% of its arrivals fails: the generator, not the backend, ran out\n",
			100*capacity.MaxDroppedShare)
	}
	if c.goodputMin > 0 {
		printf(w, "capacity: a step whose goodput (turns meeting the scenario's slo: FW_SLO_TTFT, FW_SLO_TPOT) is "+
			"below %s fails (FW_GOODPUT_MIN)\n", strconv.FormatFloat(c.goodputMin, 'g', -1, 64))
	}
}
