package chatws

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPromptWrittenIsTheLastWriteStartWhenItIsLater(t *testing.T) {
	t.Parallel()
	began := time.Now()
	require.Equal(t, began, (&Conn{}).promptWritten(began), "no clock")
	later := began.Add(2 * time.Millisecond)
	require.Equal(t, later, (&Conn{clock: fixedClock{write: later}}).promptWritten(began))
	stale := began.Add(-time.Second) // a write of an earlier turn
	require.Equal(t, began, (&Conn{clock: fixedClock{write: stale}}).promptWritten(began))
}

func TestArrivedAtKeepsTheReadReturnWhenNoStampBelievable(t *testing.T) {
	t.Parallel()
	now := time.Now()
	require.Equal(t, now, (&Conn{}).arrivedAt(now), "no clock")
	for name, at := range map[string]time.Time{
		"later than the read": now.Add(time.Millisecond),
		"a stepped clock":     now.Add(-time.Hour),
	} {
		c := &Conn{clock: fixedClock{arrival: at}}
		require.Equal(t, now, c.arrivedAt(now), name)
	}
	c := &Conn{clock: fixedClock{arrival: now.Add(-3 * time.Millisecond).Round(0)}}
	got := c.arrivedAt(now)
	require.Equal(t, 3*time.Millisecond, now.Sub(got))
	require.Equal(t, now.Round(0) != now, got.Round(0) != got, "the arrival keeps now's monotonic reading")
}

// fixedClock is an arrivalClock whose stamps are given.
type fixedClock struct{ arrival, write time.Time }

func (f fixedClock) LastArrival() (time.Time, bool)    { return f.arrival, !f.arrival.IsZero() }
func (f fixedClock) LastWriteStart() (time.Time, bool) { return f.write, !f.write.IsZero() }
