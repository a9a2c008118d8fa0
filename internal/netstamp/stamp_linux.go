//go:build linux

package netstamp

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Conn is a TCP connection whose reads also take the kernel's receive timestamp of the data they
// return (SO_TIMESTAMPNS). Reads on one connection are sequential, as net.Conn's are; LastArrival
// and LastWriteStart are safe to call from any goroutine.
type Conn struct {
	*net.TCPConn
	raw   syscall.RawConn
	recv  func(fd uintptr) bool // the read, made once (a closure per read would be an allocation)
	p     []byte                // the buffer of the read in progress
	n     int                   // what recv read: bytes, control bytes, error
	oobn  int
	rerr  error
	oob   [64]byte     // room for one SCM_TIMESTAMPNS control message
	last  atomic.Int64 // unix nanoseconds of the last read's newest data; 0: none
	born  time.Time    // the origin of write (keeps the monotonic clock)
	write atomic.Int64 // when the last write began, in nanoseconds since born; 0: none
}

// Stamp turns on the kernel's receive timestamps for tcp and returns it as a *Conn, which is
// also its Clock; it returns tcp unchanged and a nil Clock when the socket refuses them.
func Stamp(tcp *net.TCPConn) (net.Conn, Clock) {
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
	s := &Conn{TCPConn: tcp, raw: raw, born: time.Now()}
	s.recv = s.recvmsg
	return s, s
}

// recvmsg is the read: false (wait until the socket is readable) while nothing is there.
func (s *Conn) recvmsg(fd uintptr) bool {
	for {
		s.n, s.oobn, _, _, s.rerr = unix.Recvmsg(int(fd), s.p, s.oob[:], unix.MSG_CMSG_CLOEXEC)
		if !errors.Is(s.rerr, unix.EINTR) {
			return !errors.Is(s.rerr, unix.EAGAIN)
		}
	}
}

// Write records when it began, then writes as net.TCPConn does.
func (s *Conn) Write(p []byte) (int, error) {
	s.write.Store(max(int64(time.Since(s.born)), 1))
	return s.TCPConn.Write(p)
}

// LastWriteStart implements [Clock].
func (s *Conn) LastWriteStart() (time.Time, bool) {
	d := s.write.Load()
	if d == 0 {
		return time.Time{}, false
	}
	return s.born.Add(time.Duration(d)), true
}

// Read reads as net.TCPConn does (deadlines, errors, io.EOF) and records the timestamp.
func (s *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.p, s.n, s.oobn, s.rerr = p, 0, 0, nil
	err := s.raw.Read(s.recv)
	n, oobn, rerr := s.n, s.oobn, s.rerr
	s.p = nil
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

// LastArrival implements [Clock].
func (s *Conn) LastArrival() (time.Time, bool) {
	ns := s.last.Load()
	if ns == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// receiveStamp is the SCM_TIMESTAMPNS time in oob, in unix nanoseconds; 0 when there is none.
// It walks the control messages in place (unix.ParseSocketControlMessage would allocate on every
// read).
func receiveStamp(oob []byte) int64 {
	hdr := unix.CmsgLen(0)            // a header, aligned: where a message's data starts
	lenSize := unix.SizeofCmsghdr - 8 // cmsg_len is a size_t; cmsg_level and cmsg_type are ints
	for len(oob) >= hdr {
		var msgLen int
		if lenSize == 8 {
			msgLen = int(binary.NativeEndian.Uint64(oob)) // #nosec G115 -- bounded by len(oob) below
		} else {
			msgLen = int(binary.NativeEndian.Uint32(oob))
		}
		if msgLen < hdr || msgLen > len(oob) {
			return 0
		}
		level := int32(binary.NativeEndian.Uint32(oob[lenSize:])) // #nosec G115 -- a C int
		typ := int32(binary.NativeEndian.Uint32(oob[lenSize+4:])) // #nosec G115 -- a C int
		if level == unix.SOL_SOCKET && typ == unix.SCM_TIMESTAMPNS {
			return timespecNanos(oob[hdr:msgLen])
		}
		next := unix.CmsgSpace(msgLen - hdr)
		if next > len(oob) {
			return 0
		}
		oob = oob[next:]
	}
	return 0
}

// timespecNanos is a struct timespec (two longs) in unix nanoseconds; 0 for another size.
func timespecNanos(b []byte) int64 {
	switch len(b) {
	case 16:
		sec, nsec := binary.NativeEndian.Uint64(b), binary.NativeEndian.Uint64(b[8:])
		return int64(sec)*1e9 + int64(nsec) // #nosec G115 -- a timespec's fields are longs
	case 8:
		sec, nsec := int32(binary.NativeEndian.Uint32(b)), int32(binary.NativeEndian.Uint32(b[4:])) // #nosec G115 -- longs
		return int64(sec)*1e9 + int64(nsec)
	}
	return 0
}
