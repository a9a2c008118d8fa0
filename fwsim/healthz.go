package fwsim

import (
	"net/http"
	"strconv"
	"time"
)

// handleHealthz answers {"status","hz","timestamp","uptime","backend"}; HTTP 503 while
// 0 < hz < DegradedBelowHz (the body still carries hz).
func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	hz := s.loop.hz()
	status, code := "ok", http.StatusOK
	if hz < s.cfg.DegradedBelowHz {
		status = "degraded"
		if hz > 0 {
			code = http.StatusServiceUnavailable
		}
	}
	b := make([]byte, 0, 160)
	b = append(b, `{"status":"`...)
	b = append(b, status...)
	b = append(b, `","hz":`...)
	b = strconv.AppendFloat(b, round3(hz), 'f', -1, 64)
	b = append(b, `,"timestamp":"`...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","uptime":`...)
	b = strconv.AppendFloat(b, round3(time.Since(s.started).Seconds()), 'f', -1, 64)
	b = append(b, `,"backend":"fwsim"}`...)
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func round3(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}
