//go:build e2e && deploy

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
	"github.com/featherweight/xk6-featherweight/internal/exitcode"
)

// engine runs the container engine that scripts/docker-test.sh picked and built the images with:
// FW_ENGINE is the command with its global flags (e.g. "podman --storage-driver vfs --runtime runc"),
// FW_ENGINE_RUN_FLAGS the flags of every run (podman's ulimits).
type engine struct {
	cmd      []string
	runFlags []string
}

func imageEngine(t *testing.T) engine {
	t.Helper()
	cmd := strings.Fields(os.Getenv("FW_ENGINE"))
	require.NotEmpty(t, cmd, "FW_ENGINE is not set: run the image test with `make test-deploy` (scripts/docker-test.sh)")
	return engine{cmd: cmd, runFlags: strings.Fields(os.Getenv("FW_ENGINE_RUN_FLAGS"))}
}

// run runs `ENGINE run --rm RUNFLAGS args...` (bounded to 5 minutes) and returns its output and exit code.
func (e engine) run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	full := append(append(append(e.cmd[1:], "run", "--rm"), e.runFlags...), args...)
	var out syncBuffer
	exit, err := harness.RunProcess(ctx, harness.ProcessOptions{Path: e.cmd[0], Args: full, Stdout: &out, Stderr: &out})
	require.NoError(t, err, "%s %v", e.cmd[0], full)
	return out.String(), exit.Code
}

// envFlags are the engine's -e flags for the scenario's URLs of f and the given KEY=value pairs.
func envFlags(f *Fwsim, pairs ...string) []string {
	for k, v := range f.ScenarioEnv() {
		pairs = append(pairs, k+"="+v)
	}
	flags := make([]string, 0, 2*len(pairs))
	for _, kv := range pairs {
		flags = append(flags, "-e", kv)
	}
	return flags
}

// The fw-k6 image (IMAGE, default fw-k6:latest) holds k6 v1.8.1 with the extension, runs as user
// 12345 with a shell and the bundled script, does what the k6-operator's initializer does, passes the
// smoke profile against a healthy fwsim (exit 0) and fails it against a degraded loop (exit 99, on
// the Hz thresholds); `k6 x featherweight compare` in the image judges that a regression and
// `k6 x featherweight capacity` in the image finds fwsim -capacity 20's knee, its steps run by the
// image's own k6; the fwsim image (FWSIM_IMAGE) answers /healthz.
func TestImage(t *testing.T) {
	e := imageEngine(t)
	image, fwsimImage := envOr("IMAGE", "fw-k6:latest"), envOr("FWSIM_IMAGE", "fwsim:latest")

	out, code := e.run(t, image, "version")
	require.Zero(t, code, out)
	require.Contains(t, out, "k6/x/featherweight")
	require.Contains(t, out, "v1.8.1")
	out, code = e.run(t, "--entrypoint", "sh", image, "-c",
		"id -u; test -f /opt/featherweight/examples/featherweight-load.js && echo script-ok; command -v k6")
	require.Zero(t, code, out)
	lines := strings.Fields(out) // the engine's own warnings may come first
	for _, want := range []string{"12345", "script-ok", "/usr/bin/k6"} {
		require.Contains(t, lines, want, "user 12345, the bundled script, k6 at /usr/bin/k6")
	}
	// The k6-operator's initializer: sh -c, k6 archive, k6 inspect, with arguments replacing CMD.
	out, code = e.run(t, "--entrypoint", "sh", image, "-c", "cd /tmp && k6 archive -e FW_PROFILE=smoke -O fw.tar "+
		"/opt/featherweight/examples/featherweight-load.js >/dev/null && k6 inspect --execution-requirements fw.tar")
	require.Zero(t, code, out)
	require.Contains(t, out, `"maxVUs"`)

	// The image's default command with the smoke profile; each run's summary.json goes to runs/<name>.
	runs := t.TempDir()
	require.NoError(t, os.Chmod(runs, 0o777)) // #nosec G302 -- the image's user 12345 writes there
	smoke := func(name string, flags ...string) (string, int) {
		f := StartFwsim(t, flags...)
		dir := filepath.Join(runs, name)
		require.NoError(t, os.Mkdir(dir, 0o777)) // #nosec G301 -- k6 in the image (user 12345) writes summary.json
		require.NoError(t, os.Chmod(dir, 0o777)) // #nosec G302 -- past the umask
		args := envFlags(f, "FW_OUT_DIR=/out", "FW_PROFILE=smoke", "K6_NO_USAGE_REPORT=true")
		args = append(args, "--network", "host", "-v", dir+":/out")
		out, code := e.run(t, append(args, image)...)
		_ = f.Stop()
		return out, code
	}
	out, code = smoke("healthy")
	require.Zero(t, code, "healthy smoke run:\n%s", tail(out, 4000))
	out, code = smoke("degraded", "-hz", "60")
	require.Equal(t, 99, code, "degraded smoke run:\n%s", tail(out, 4000))
	require.Regexp(t, `thresholds on metrics '.*fw_loop_hz`, out, "it failed on the Hz thresholds")

	out, code = e.run(t, "-v", runs+":/out:ro", image, "x", "featherweight", "compare",
		"/out/healthy/summary.json", "/out/degraded/summary.json")
	require.Equal(t, exitcode.Failed, code, "compare in the image: the degraded run regressed\n%s", out)
	require.Contains(t, out, "fw_loop_hz")

	f := StartFwsim(t, "-capacity", "20")
	args := envFlags(f, "K6_NO_USAGE_REPORT=true", "FW_THINK=0", "FW_CAPACITY_MIN=10", "FW_CAPACITY_MAX=40",
		"FW_CAPACITY_STEP=10", "FW_CAPACITY_RAMP=2s", "FW_CAPACITY_HOLD=8s", "FW_CAPACITY_TIMEOUT=4m",
		"FW_CAPACITY_OUT=/tmp/capacity.json")
	args = append(args, "--network", "host", image, "x", "featherweight", "capacity")
	out, code = e.run(t, args...)
	_ = f.Stop()
	require.Zero(t, code, "capacity in the image:\n%s", tail(out, 4000))
	require.Regexp(t, regexp.MustCompile(`(?m)^capacity (10|20) users: at (20|30) `), out, "the knee near 20 users")

	// The fwsim image on the host network: it prints its address; /healthz answers 200 once its loop
	// has measured its Hz.
	name := "fw-image-test-fwsim"
	sim, err := harness.StartFwsim(t.Context(), harness.FwsimOptions{
		Binary: e.cmd[0],
		Addr:   "127.0.0.1:0",
		Prefix: append(append(append(e.cmd[1:], "run", "--rm", "--name", name, "--network", "host"), e.runFlags...), fwsimImage),
	})
	require.NoError(t, err, "the fwsim image started")
	t.Cleanup(func() { _ = sim.Stop() })
	h, err := harness.WaitHealthy(t.Context(), sim.URL+"/healthz", 10*time.Second)
	require.NoError(t, err)
	require.True(t, h.OK, "fwsim image /healthz: %+v", h)
}
