// Bad script input: each case logs `FWA {case, threw, msg, ok}`. A script bug
// must throw a JS exception naming the argument, never become a counted backend failure.
// FW_URL is a healthy ws:// endpoint, FW_HTTP the same server over http://.
import fw, { HzMonitor } from 'k6/x/featherweight';

const URL = __ENV.FW_URL;
const HTTP = __ENV.FW_HTTP;

export const options = { iterations: 1, vus: 1 };

const cases = {
  'chat(undefined, p)': () => fw.chat(undefined, 'p'),
  'chat(null, p)': () => fw.chat(null, 'p'),
  'chat(http URL, p)': () => fw.chat(HTTP + '/api/chat', 'p'),
  'chat(url) without prompt': () => fw.chat(URL),
  'chatAsync(http URL, p)': () => fw.chatAsync(HTTP + '/api/chat', 'p'),
  'connect(undefined)': () => fw.connect(undefined),
  'connect(ftp URL)': () => fw.connect('ftp://127.0.0.1/api/chat'),
  'session.send() without prompt': () => {
    const s = fw.connect(URL);
    try { return s.send(); } finally { s.close(); }
  },
  'timeouts.total huge integer': () => fw.chat(URL, 'p', { timeouts: { total: 18446744073710 } }),
  'timeouts.total undefined means default': () => fw.chat(URL, 'p', { timeouts: { total: undefined } }),
  'timeouts.firstToken null means default': () => fw.chat(URL, 'p', { timeouts: { firstToken: null } }),
  'HzMonitor ftp URL': () => new HzMonitor({ url: 'ftp://127.0.0.1/metrics' }),
  'HzMonitor ws URL': () => new HzMonitor({ url: URL }),
  'HzMonitor timeout undefined means default': () => new HzMonitor({ url: HTTP + '/metrics', timeout: undefined }),
};

export default async function () {
  for (const [name, fn] of Object.entries(cases)) {
    try {
      const r = await fn();
      console.log('FWA ' + JSON.stringify({ case: name, threw: false, ok: !!(r && r.ok), msg: r && r.error ? r.error.kind + ': ' + r.error.message : '' }));
    } catch (e) {
      console.log('FWA ' + JSON.stringify({ case: name, threw: true, msg: String(e) }));
    }
  }
}
