package knob

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type knobs struct {
	name  string
	n     int
	x     float64
	d     time.Duration
	on    bool
	seed  uint64
	other string
}

func define(env map[string]string, out io.Writer) (*FlagSet, *knobs) {
	var k knobs
	fs := New("tool", MapEnv(env), out)
	fs.StringVar(&k.name, "name", "FW_NAME", "dflt", "a name")
	fs.IntVar(&k.n, "n", "FW_N", 3, "a count")
	fs.Float64Var(&k.x, "x", "FW_X", 0.5, "a share")
	fs.DurationVar(&k.d, "d", "FW_D", time.Second, "a wait")
	fs.BoolVar(&k.on, "on", "FW_ON", false, "a switch")
	fs.Uint64Var(&k.seed, "seed", "FW_SEED", 1, "a seed")
	fs.StringVar(&k.other, "other", "FW_OTHER", "kept", "untouched")
	return fs, &k
}

func TestFlagWinsOverEnvironmentWhichWinsOverDefault(t *testing.T) {
	t.Parallel()
	env := map[string]string{"FW_NAME": "env", "FW_N": "7", "FW_X": "0.25", "FW_D": "1m30s", "FW_ON": "1", "FW_SEED": "42", "FW_OTHER": ""}
	fs, k := define(env, io.Discard)
	require.NoError(t, fs.Parse([]string{"-n", "9", "-d", "2s", "rest"}))
	require.Equal(t, "env", k.name, "the environment over the default")
	require.Equal(t, 9, k.n, "the flag over the environment")
	require.InDelta(t, 0.25, k.x, 0)
	require.Equal(t, 2*time.Second, k.d)
	require.True(t, k.on)
	require.Equal(t, uint64(42), k.seed)
	require.Equal(t, "kept", k.other, "an empty variable is unset")
	require.Equal(t, []string{"rest"}, fs.Args())
}

func TestABadVariableIsNamedEvenWhenItsFlagIsGiven(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"integer":  {"FW_N": "ten"},
		"number":   {"FW_X": "half"},
		"duration": {"FW_D": "30"},
		"bool":     {"FW_ON": "maybe"},
		"seed":     {"FW_SEED": "-1"},
	} {
		fs, _ := define(env, io.Discard)
		err := fs.Parse([]string{"-n", "1"})
		require.ErrorIs(t, err, ErrEnv, name)
		var ee *EnvError
		require.True(t, errors.As(err, &ee), name)
		require.Contains(t, err.Error(), ee.Name+"=", name)
	}
}

func TestHelpNamesEveryVariableAndDefault(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	fs, _ := define(map[string]string{"FW_N": "5"}, &out)
	require.ErrorIs(t, fs.Parse([]string{"-h"}), flag.ErrHelp)
	// The default shown is the built-in one, whatever the environment says.
	for _, want := range []string{"a count [FW_N] (default 3)", "a wait [FW_D] (default 1s)", "a name [FW_NAME] (default dflt)"} {
		require.Contains(t, out.String(), want)
	}
}
