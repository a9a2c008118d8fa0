// Deployment test driver (hz_prometheus_deploy_test.go): one query of FW_PROMETHEUS_URL per monitor.
//   replicas  one fw_loop_hz sample and check per fwsim instance, tagged with its labels
//   fleet     aggregate min, min 95: the slowest instance decides; its check must pass for the run to pass
import { HzMonitor } from 'k6/x/featherweight';

export const options = {
  scenarios: { hz: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '60s' } },
  thresholds: { 'checks{type:hz,monitor:fleet}': ['rate==1'] },
};

const prometheus = __ENV.FW_PROMETHEUS_URL;
const replicas = new HzMonitor({ prometheus, query: 'consciousness_loop_hz', tags: { monitor: 'replicas' } });
const fleet = new HzMonitor({ prometheus, query: 'consciousness_loop_hz', aggregate: 'min', min: 95, tags: { monitor: 'fleet' } });

export default function () {
  for (const [name, mon] of [['replicas', replicas], ['fleet', fleet]]) {
    const r = mon.scrape();
    console.log(`${name}: ${JSON.stringify({ ok: r.ok, hz: r.hz, values: r.values, error: r.error })}`);
  }
}

export function handleSummary(data) {
  const verdicts = {};
  for (const [name, m] of Object.entries(data.metrics)) {
    for (const [expr, res] of Object.entries(m.thresholds || {})) verdicts[`${name}: ${expr}`] = res.ok;
  }
  return { stdout: `FWTHRESHOLDS ${JSON.stringify(verdicts)}\n` };
}
