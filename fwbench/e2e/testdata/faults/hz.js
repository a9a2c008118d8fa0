// The fault matrix's Hz driver (e2e/faults_test.go): FW_SCRAPES scrapes from one VU, each reading
// logged as one console line `FWH {json}`.
//
// FW_HZ_OPTS  JSON HzMonitor options    FW_SCRAPES  number of scrapes
// FW_MAX_REDIRECTS, FW_UA, FW_INSECURE=1: the k6 options maxRedirects, userAgent, insecureSkipTLSVerify
import { HzMonitor } from 'k6/x/featherweight';

export const options = {
  insecureSkipTLSVerify: __ENV.FW_INSECURE === '1',
  maxRedirects: Number(__ENV.FW_MAX_REDIRECTS || 10),
  userAgent: __ENV.FW_UA || undefined,
  scenarios: {
    hz: { executor: 'per-vu-iterations', vus: 1, iterations: Number(__ENV.FW_SCRAPES || 3), maxDuration: '60s' },
  },
};

const mon = new HzMonitor(JSON.parse(__ENV.FW_HZ_OPTS));

export default function () {
  const r = mon.scrape();
  console.log('FWH ' + JSON.stringify({
    ok: r.ok, hz: r.hz, pass: r.pass, source: r.source, mode: r.mode, reset: r.reset,
    reason: r.error ? r.error.kind : '', msg: r.error ? r.error.message : '',
    healthzReason: r.error && r.error.healthz ? r.error.healthz.kind : '',
  }));
}
