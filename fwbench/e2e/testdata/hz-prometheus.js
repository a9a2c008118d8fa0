// The Prometheus-mode Hz driver (e2e/hz_prometheus_test.go): three monitors query FW_PROMETHEUS_URL
// FW_SCRAPES times each, and the summary prints every threshold's verdict as one console line.
//   replicas  per series: one fw_loop_hz sample and check per replica, tagged with its labels
//   fleet     aggregate min: one sample and check, failing when the slowest replica is below 95
//   broken    an invalid query: Prometheus answers 400 bad_data
import { HzMonitor } from 'k6/x/featherweight';

const prom = __ENV.FW_PROMETHEUS_URL;
const headers = { Authorization: `Bearer ${__ENV.FW_TOKEN}` };

export const options = {
  scenarios: {
    hz: { executor: 'per-vu-iterations', vus: 1, iterations: Number(__ENV.FW_SCRAPES || 3), maxDuration: '60s' },
  },
  thresholds: {
    [`fw_loop_hz{instance:${__ENV.FW_FAST}}`]: ['min>=95'],
    [`fw_loop_hz{instance:${__ENV.FW_SLOW}}`]: ['min>=95'],
    'checks{type:hz,monitor:fleet}': ['rate==1'],
  },
};

const replicas = new HzMonitor({ prometheus: prom, query: 'consciousness_loop_hz', headers, tags: { monitor: 'replicas' } });
const fleet = new HzMonitor({ prometheus: prom, query: 'consciousness_loop_hz', aggregate: 'min', headers, tags: { monitor: 'fleet' } });
const broken = new HzMonitor({ prometheus: prom, query: 'consciousness_loop_hz{', headers, tags: { monitor: 'broken' } });

export default function () {
  for (const [name, mon] of [['replicas', replicas], ['fleet', fleet], ['broken', broken]]) {
    const r = mon.scrape();
    console.log('FWP ' + JSON.stringify({
      monitor: name, ok: r.ok, hz: r.hz, pass: r.pass, source: r.source, series: r.series, values: r.values,
      kind: r.error ? r.error.kind : '', msg: r.error ? r.error.message : '',
    }));
  }
}

export function handleSummary(data) {
  const verdicts = {};
  for (const [name, m] of Object.entries(data.metrics)) {
    for (const [expr, res] of Object.entries(m.thresholds || {})) verdicts[`${name}: ${expr}`] = res.ok;
  }
  return { stdout: `FWTHRESHOLDS ${JSON.stringify(verdicts)}\n` };
}
