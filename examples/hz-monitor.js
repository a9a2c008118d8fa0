// hz-monitor.js: watch the Featherweight backend's 100 Hz loop on its own.
//
// One dedicated VU scrapes /metrics once a second (falling back to /healthz when /metrics fails)
// and the run passes only when the loop kept up:
//
//   fw_loop_hz        avg>95       the loop frequency (a Trend, so avg/min/p(N) work)
//   checks{type:hz}   rate>0.99    share of readings with hz >= min; a failed scrape is a failed check
//   fw_hz_scrape_failed rate<0.05  scrapes that failed (tagged error_kind)
//
// No threshold passes vacuously: a run without a single Hz reading has an empty fw_loop_hz Trend,
// and k6 fails an `avg` threshold on an empty Trend.
//
//   ./k6 run examples/hz-monitor.js
//   ./k6 run -e FW_METRICS_URL=http://10.0.0.5:8080/metrics -e FW_DURATION=5m examples/hz-monitor.js
//
// Knobs (environment): FW_METRICS_URL, FW_HEALTHZ_URL ('' disables the fallback), FW_HZ_MIN,
// FW_HZ_MODE (auto | gauge | counter | histogram), FW_HZ_METRIC, FW_DURATION, FW_HZ_CHECK_RATE
// (the checks{type:hz} rate threshold, default 0.99).
import { HzMonitor } from 'k6/x/featherweight';

const env = __ENV;
const metricsURL = env.FW_METRICS_URL || 'http://127.0.0.1:8080/metrics';
const healthzURL = env.FW_HEALTHZ_URL === undefined ? 'http://127.0.0.1:8080/healthz' : env.FW_HEALTHZ_URL;
const min = env.FW_HZ_MIN ? Number(env.FW_HZ_MIN) : 95;
const checkRate = env.FW_HZ_CHECK_RATE ? Number(env.FW_HZ_CHECK_RATE) : 0.99;

export const options = {
  scenarios: {
    hz: {
      // One VU, one scrape per second: 1,000 VUs scraping /metrics would load-test /metrics.
      executor: 'constant-arrival-rate',
      exec: 'hz',
      rate: 1,
      timeUnit: '1s',
      duration: env.FW_DURATION || '30s',
      preAllocatedVUs: 1,
      maxVUs: 1,
    },
  },
  thresholds: {
    fw_loop_hz: ['avg>95'],
    'checks{type:hz}': [`rate>${checkRate}`],
    fw_hz_scrape_failed: ['rate<0.05'],
  },
};

// Created in the init context (one per VU); its HTTP client is built on the first scrape() and
// dials through k6 (blockHostnames, hosts, data_sent/data_received, insecureSkipTLSVerify).
const monitor = new HzMonitor({
  url: metricsURL,
  healthz: healthzURL || undefined,
  metric: env.FW_HZ_METRIC || 'consciousness_loop_hz',
  labels: { app: 'featherweight-consciousness' },
  mode: env.FW_HZ_MODE || 'auto',
  min,
  timeout: '2s',
  tags: { component: 'consciousness-loop' },
});

export function hz() {
  const r = monitor.scrape();
  if (!r.ok) {
    console.warn(`hz scrape failed (${r.error.kind}): ${r.error.message}`);
  } else if (r.hz !== null && !r.pass) {
    console.warn(`loop below ${min} Hz: ${r.hz.toFixed(2)} Hz (source ${r.source})`);
  }
}
