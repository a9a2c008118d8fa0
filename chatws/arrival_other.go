//go:build !linux

package chatws

import "net"

// stampArrivals has no kernel receive timestamps to offer on this platform: frames are timed
// when the read returns.
func stampArrivals(tcp *net.TCPConn) (net.Conn, arrivalClock) { return tcp, nil }
