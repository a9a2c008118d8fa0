// Package knob is the command-line convention of every featherweight tool (the k6 x featherweight
// subcommands and the development commands): each knob is a flag with an FW_* environment variable
// of the same meaning, and one rule decides between them: a flag given on the command line wins over
// the environment, the environment over the default. Durations are Go durations (30s, 1m30s).
package knob

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// Rule is the flag/env rule in the words every tool's help prints.
const Rule = "Each flag has an FW_* environment variable, named in brackets after its help: a flag given " +
	"wins over its variable, the variable over the default shown. Durations are Go durations (500ms, 30s, 1m30s)."

// LookupEnv finds an environment variable (os.LookupEnv, or a test's or k6's environment).
type LookupEnv func(string) (string, bool)

// MapEnv looks variables up in env (k6 hands a subcommand its environment as a map).
func MapEnv(env map[string]string) LookupEnv {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// OSEnv is the process's environment.
func OSEnv() LookupEnv { return os.LookupEnv }

// ErrEnv is matched (errors.Is) by every EnvError.
var ErrEnv = errors.New("bad environment variable")

// EnvError is an environment variable whose value its flag does not accept.
type EnvError struct {
	Name, Value string
	Err         error
}

func (e *EnvError) Error() string { return fmt.Sprintf("%s=%q: %v", e.Name, e.Value, e.Err) }

// Unwrap makes errors.Is(err, ErrEnv) true and exposes the cause.
func (e *EnvError) Unwrap() []error { return []error{ErrEnv, e.Err} }

// FlagSet is a flag.FlagSet whose flags default from their environment variables.
type FlagSet struct {
	*flag.FlagSet
	env  LookupEnv
	errs []error
}

// New returns an empty FlagSet for the command name; its parse errors and help go to output.
func New(name string, env LookupEnv, output io.Writer) *FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(output)
	return &FlagSet{FlagSet: fs, env: env}
}

// Var defines a flag whose value v already holds its default (which help shows); the variable
// envName, when set and not empty, replaces it.
func (f *FlagSet) Var(v flag.Value, name, envName, usage string) {
	f.FlagSet.Var(v, name, usage+" ["+envName+"]")
	if s, ok := f.env(envName); ok && s != "" {
		if err := v.Set(s); err != nil {
			f.errs = append(f.errs, &EnvError{Name: envName, Value: s, Err: err})
		}
	}
}

// StringVar defines a string knob.
func (f *FlagSet) StringVar(p *string, name, envName, def, usage string) {
	*p = def
	f.Var((*stringValue)(p), name, envName, usage)
}

// IntVar defines an integer knob.
func (f *FlagSet) IntVar(p *int, name, envName string, def int, usage string) {
	*p = def
	f.Var((*intValue)(p), name, envName, usage)
}

// Uint64Var defines a non-negative integer knob (a seed).
func (f *FlagSet) Uint64Var(p *uint64, name, envName string, def uint64, usage string) {
	*p = def
	f.Var((*uint64Value)(p), name, envName, usage)
}

// Float64Var defines a number knob.
func (f *FlagSet) Float64Var(p *float64, name, envName string, def float64, usage string) {
	*p = def
	f.Var((*floatValue)(p), name, envName, usage)
}

// DurationVar defines a Go duration knob.
func (f *FlagSet) DurationVar(p *time.Duration, name, envName string, def time.Duration, usage string) {
	*p = def
	f.Var((*durationValue)(p), name, envName, usage)
}

// BoolVar defines a boolean knob (1, true, 0, false, ...).
func (f *FlagSet) BoolVar(p *bool, name, envName string, def bool, usage string) {
	*p = def
	f.Var((*boolValue)(p), name, envName, usage)
}

// Parse reports the first environment variable a flag refused (an EnvError), then parses args.
func (f *FlagSet) Parse(args []string) error {
	if len(f.errs) > 0 {
		return f.errs[0]
	}
	return f.FlagSet.Parse(args)
}

type stringValue string

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) String() string     { return string(*s) }

type intValue int

func (i *intValue) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return errors.New("expected an integer")
	}
	*i = intValue(n)
	return nil
}
func (i *intValue) String() string { return strconv.Itoa(int(*i)) }

type uint64Value uint64

func (u *uint64Value) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return errors.New("expected a non-negative integer")
	}
	*u = uint64Value(n)
	return nil
}
func (u *uint64Value) String() string { return strconv.FormatUint(uint64(*u), 10) }

type floatValue float64

func (f *floatValue) Set(v string) error {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return errors.New("expected a number")
	}
	*f = floatValue(x)
	return nil
}
func (f *floatValue) String() string { return strconv.FormatFloat(float64(*f), 'g', -1, 64) }

type durationValue time.Duration

func (d *durationValue) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("expected a Go duration such as 500ms, 30s or 1m30s")
	}
	*d = durationValue(x)
	return nil
}
func (d *durationValue) String() string { return time.Duration(*d).String() }

type boolValue bool

func (b *boolValue) Set(v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("expected true or false (1 or 0)")
	}
	*b = boolValue(x)
	return nil
}
func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) IsBoolFlag() bool { return true }
