//go:build !linux

package netstamp

import "net"

// Stamp has no kernel receive timestamps to offer on this platform: it returns tcp and no Clock.
func Stamp(tcp *net.TCPConn) (net.Conn, Clock) { return tcp, nil }
