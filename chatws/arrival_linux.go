//go:build linux

package chatws

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// stampedConn is a TCP connection whose reads also take the kernel's receive timestamp of the
// data they return (SO_TIMESTAMPNS). Reads on one connection are sequential (one turn at a
// time); lastArrival is safe to call from any goroutine.
type stampedConn struct {
	*net.TCPConn
	raw   syscall.RawConn
	oob   [64]byte     // room for one SCM_TIMESTAMPNS control message
	last  atomic.Int64 // unix nanoseconds of the last read's newest data; 0: none
	born  time.Time    // the origin of write (keeps the monotonic clock)
	write atomic.Int64 // when the last write began, in nanoseconds since born; 0: none
}

// stampArrivals turns on the kernel's receive timestamps for tcp; it returns tcp unchanged and
// a nil clock when the socket refuses them.
func stampArrivals(tcp *net.TCPConn) (net.Conn, arrivalClock) {
	raw, err := tcp.SyscallConn()
	if err != nil {
		return tcp, nil
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return tcp, nil
	}
	s := &stampedConn{TCPConn: tcp, raw: raw, born: time.Now()}
	return s, s
}

// Write records when it began, then writes as net.TCPConn does.
func (s *stampedConn) Write(p []byte) (int, error) {
	s.write.Store(max(int64(time.Since(s.born)), 1))
	return s.TCPConn.Write(p)
}

func (s *stampedConn) lastWriteStart() (time.Time, bool) {
	d := s.write.Load()
	if d == 0 {
		return time.Time{}, false
	}
	return s.born.Add(time.Duration(d)), true
}

// Read reads as net.TCPConn does (deadlines, errors, io.EOF) and records the timestamp.
func (s *stampedConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n, oobn int
	var rerr error
	err := s.raw.Read(func(fd uintptr) bool {
		for {
			n, oobn, _, _, rerr = unix.Recvmsg(int(fd), p, s.oob[:], unix.MSG_CMSG_CLOEXEC)
			if rerr != unix.EINTR {
				return rerr != unix.EAGAIN // false: wait until the socket is readable
			}
		}
	})
	if err == nil && rerr != nil {
		err = os.NewSyscallError("recvmsg", rerr)
	}
	if err != nil {
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: s.LocalAddr(), Addr: s.RemoteAddr(), Err: err}
	}
	if n == 0 {
		return 0, io.EOF
	}
	s.last.Store(receiveStamp(s.oob[:oobn]))
	return n, nil
}

func (s *stampedConn) lastArrival() (time.Time, bool) {
	ns := s.last.Load()
	if ns == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// receiveStamp is the SCM_TIMESTAMPNS time in oob, in unix nanoseconds; 0 when there is none.
func receiveStamp(oob []byte) int64 {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_TIMESTAMPNS {
			continue
		}
		switch len(m.Data) { // struct timespec: two longs
		case 16:
			return int64(binary.NativeEndian.Uint64(m.Data[:8]))*1e9 + int64(binary.NativeEndian.Uint64(m.Data[8:])) // #nosec G115 -- a timespec's fields are longs
		case 8:
			return int64(int32(binary.NativeEndian.Uint32(m.Data[:4])))*1e9 + int64(int32(binary.NativeEndian.Uint32(m.Data[4:]))) // #nosec G115 -- a timespec's fields are longs
		}
	}
	return 0
}
