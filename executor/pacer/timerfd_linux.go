//go:build linux

package pacer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// timerfd is a Linux timerfd read through Go's network poller: a wait on it parks the goroutine
// without holding a Go P or a thread, and the kernel wakes it on a high-resolution timer with no
// timer slack (a Go timer's wake has millisecond granularity in a mostly idle process).
type timerfd struct {
	file *os.File
	conn syscall.RawConn // the file's descriptor, for timerfd_settime
}

// newTimerfd creates a non-blocking CLOCK_MONOTONIC timerfd registered with the poller.
func newTimerfd() (*timerfd, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd_create: %w", err)
	}
	file := os.NewFile(uintptr(fd), "pacer-timerfd") // #nosec G115 -- a descriptor the kernel returned, not negative
	conn, err := file.SyscallConn()
	if err != nil {
		_ = file.Close()
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	return &timerfd{file: file, conn: conn}, nil
}

// errCancelled marks a wait its context ended: the timerfd may still fire, so it is not reused.
var errCancelled = errors.New("timerfd wait cancelled")

// until waits until at or until ctx ends (errCancelled). Any other error means the timerfd could
// not be used; the caller then finishes the wait some other way.
func (t *timerfd) until(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	if err := t.arm(d); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = t.file.SetReadDeadline(time.Unix(1, 0)) })
	var expirations [8]byte
	_, err := t.file.Read(expirations[:])
	if !stop() {
		return errCancelled
	}
	return err
}

// arm sets the timer to expire once, d from now.
func (t *timerfd) arm(d time.Duration) error {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds())}
	var setErr error
	if err := t.conn.Control(func(fd uintptr) {
		setErr = unix.TimerfdSettime(int(fd), 0, &spec, nil) // #nosec G115 -- the file's own descriptor
	}); err != nil {
		return err
	}
	return setErr
}

func (t *timerfd) close() { _ = t.file.Close() }

// idleTimerfds keeps the timerfds of finished SleepUntil calls for the next ones: a run has about
// rate × CoarseMargin sleeping VUs at a time (10 at 5,000 arrivals/s).
//
//nolint:gochecknoglobals // process-wide by design: every VU's SleepUntil borrows from it
var idleTimerfds = make(chan *timerfd, 64)

// borrowTimerfd returns an idle timerfd or a new one.
func borrowTimerfd() (*timerfd, error) {
	select {
	case t := <-idleTimerfds:
		return t, nil
	default:
		return newTimerfd()
	}
}

// giveBackTimerfd keeps t for reuse, or closes it when enough are kept.
func giveBackTimerfd(t *timerfd) {
	select {
	case idleTimerfds <- t:
	default:
		t.close()
	}
}
