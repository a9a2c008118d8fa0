//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const dashboardConfig = "../../examples/dashboard/featherweight.dashboard.json"

// reportEvent is one recorded dashboard event in the exported report.
type reportEvent struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// readReport decodes the events embedded in the web dashboard's HTML export (a gzip'd, base64'd
// JSON-lines block in <script id="data">).
func readReport(t *testing.T, path string) []reportEvent {
	t.Helper()
	html, err := os.ReadFile(path)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)<script id="data"[^>]*>(.*?)</script>`).FindSubmatch(html)
	require.NotNil(t, m, "no data block in %s", path)
	gz, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(m[1])))
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	var events []reportEvent
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e reportEvent
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		events = append(events, e)
	}
	require.NoError(t, sc.Err())
	return events
}

// series maps each metric (and submetric) name to its aggregate arrays, one per snapshot. A snapshot
// is an array of per-metric aggregate arrays in the sorted order of the metric names announced so far.
func series(t *testing.T, events []reportEvent) map[string][][]float64 {
	t.Helper()
	var names []string
	out := map[string][][]float64{}
	for _, e := range events {
		switch e.Event {
		case "metric":
			var defs map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(e.Data, &defs))
			for n := range defs {
				names = append(names, n)
			}
			sort.Strings(names)
		case "snapshot":
			var rows [][]float64
			require.NoError(t, json.Unmarshal(e.Data, &rows))
			require.Len(t, rows, len(names), "a snapshot has one row per announced metric")
			for i, row := range rows {
				out[names[i]] = append(out[names[i]], row)
			}
		}
	}
	return out
}

// dashboardRun runs the bundled scenario's smoke profile through bin/fwbench run (as `make run` does)
// against f with extra environment, and returns the exit code and the report's path.
func dashboardRun(t *testing.T, f *Fwsim, env ...string) (int, string, string) {
	t.Helper()
	out := t.TempDir()
	vars := map[string]string{
		"XK6_DASHBOARD_CONFIG": "", "K6_WEB_DASHBOARD_TAGS": "", "K6_WEB_DASHBOARD_EXPORT": "",
		"FW_PROFILE": "smoke", "FW_OUT_DIR": out,
		"FW_CHAT_URL": f.WS + "/api/chat", "FW_METRICS_URL": f.HTTP + "/metrics", "FW_HEALTHZ_URL": f.HTTP + "/healthz",
		"FW_K6": binary(t, "FW_K6"), "K6_WEB_DASHBOARD_PORT": strconv.Itoa(freePort(t)), "K6_WEB_DASHBOARD_PERIOD": "2s",
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	output, code := RunFwbench(t, vars, "run")
	return code, filepath.Join(out, "report.html"), output
}

// filled counts the snapshots in which a series has values.
func filled(rows [][]float64) int {
	n := 0
	for _, row := range rows {
		if len(row) > 0 {
			n++
		}
	}
	return n
}

// openModelOnly are the metrics a layout chart names that only an open-model run has.
var openModelOnly = map[string]bool{"dropped_iterations": true}

func TestDashboardReportShowsTheChat(t *testing.T) {
	t.Parallel() // asserts the report's contents and a failed run, not timing
	f := StartFwsim(t, "-error-rate", "0.05")
	code, report, output := dashboardRun(t, f)
	require.Equal(t, 99, code, "5%% failed turns must fail the run\n%s", tail(output, 4000))

	events := readReport(t, report)
	require.NotEmpty(t, events)
	require.Equal(t, "config", events[0].Event)

	// The report carries the shipped layout, and every chart's query names a metric this run has.
	var shipped, got map[string]any
	raw, err := os.ReadFile(dashboardConfig)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &shipped))
	require.NoError(t, json.Unmarshal(events[0].Data, &got))
	require.Equal(t, shipped, got, "the report uses examples/dashboard/featherweight.dashboard.json")

	data := series(t, events)
	var cfg struct {
		Tabs []struct {
			Title    string
			Sections []struct {
				Panels []struct {
					Title  string
					Kind   string
					Series []struct{ Query string }
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal(raw, &cfg))
	require.Equal(t, "Chat", cfg.Tabs[0].Title, "the chat comes first")
	for _, tab := range cfg.Tabs {
		for _, sec := range tab.Sections {
			for _, p := range sec.Panels {
				for _, s := range p.Series {
					name, _, _ := strings.Cut(s.Query, "[")
					if name == "" || openModelOnly[name] { // summary panels select every metric
						continue
					}
					require.Contains(t, data, name, "panel %q charts %q, which the run never produced", p.Title, s.Query)
				}
			}
		}
	}

	// Each charted series has values over time, not one point.
	for _, name := range []string{
		"vus", "fw_chat_ttft", "fw_chat_itl", "fw_chat_turns", "fw_chat_errors",
		"fw_chat_errors{error_kind:server_error}", "error_rate", "fw_chat_tokens", "fw_loop_hz", "fw_loop_hz_floor",
		"error_rate_limit", "chat_sessions",
	} {
		require.GreaterOrEqual(t, filled(data[name]), 3, "%s has values in %d snapshots", name, filled(data[name]))
	}
	// The failed share's limit line sits at 1% (a Rate: its one aggregate is the rate), so the
	// percent axis of a run without failures reads 0 to about 1%, not 0 to 10,000%.
	for _, row := range data["error_rate_limit"] {
		if len(row) > 0 {
			require.InDelta(t, 0.01, row[0], 1e-9)
		}
	}
	// The report's y axes are widened (fwbench run), so labels such as "15ms 500µs" fit.
	html, err := os.ReadFile(report)
	require.NoError(t, err)
	axis := regexp.MustCompile(`=1,[A-Za-z_$][\w$]*=(\d+),[A-Za-z_$][\w$]*=[A-Za-z_$][\w$]*\.sync\("chart"\)`).FindAllSubmatch(html, -1)
	require.Len(t, axis, 1, "the report bundle's axis width constant")
	require.Equal(t, "96", string(axis[0][1]))
	// ... and fw_loop_hz and its floor are formatted in Hz ("100 Hz"), not as a rate ("100/s").
	require.Contains(t, string(html), `.name.startsWith("fw_loop_hz")?"hz":"rps"`, "the loop's unit")
	require.Contains(t, string(html), `case"hz":return `, "the Hz format")
	// Trends carry avg, max, med, min, p(90), p(95), p(99) (the order announced in the param event);
	// the Hz floor line sits at 95.
	for _, row := range data["fw_loop_hz_floor"] {
		if len(row) > 0 {
			require.Len(t, row, 7)
			require.InDelta(t, 95, row[0], 1e-9)
		}
	}
	for _, row := range data["fw_chat_ttft"] {
		if len(row) > 0 {
			require.Len(t, row, 7)
			minV, med, p99, maxV := row[3], row[2], row[6], row[1]
			require.True(t, 0 < minV && minV <= med && med <= p99 && p99 <= maxV, "TTFT min<=med<=p99<=max: %v", row)
		}
	}
}

// Under the open model the report charts the arrivals and the arrivals dropped for want of a VU:
// 20 sessions a second on at most 2 VUs drop most of them.
func TestDashboardReportShowsOpenModelArrivals(t *testing.T) {
	t.Parallel() // asserts counts, not timing
	f := StartFwsim(t)
	code, report, output := dashboardRun(t, f, "FW_ARRIVAL=poisson", "FW_RATE=20", "FW_VUS=2", "FW_MAX_VUS=2", "FW_SEED=3")
	require.Contains(t, []int{0, 99}, code, "%s", tail(output, 4000))
	require.Contains(t, output, "open model: poisson-arrival-rate 20/s")

	data := series(t, readReport(t, report))
	for _, name := range []string{"chat_sessions", "dropped_iterations", "vus"} {
		require.GreaterOrEqual(t, filled(data[name]), 3, "%s has values in %d snapshots", name, filled(data[name]))
	}
	dropped := 0.0
	for _, row := range data["dropped_iterations"] {
		if len(row) > 0 {
			dropped += row[0]
		}
	}
	require.Positive(t, dropped, "dropped arrivals are counted per period")
}
