// Smoke test of k6/x/featherweight that needs no server (the `smoke` check of `xk6 lint`; also run
// by `make test` through e2e/smoke_test.go): the module loads, bad options throw naming the option,
// and a chat turn against a closed loopback port fails as a `connect` error instead of throwing.
// (No HzMonitor scrape: a failed scrape is, by design, a failed `checks{type:hz}` sample.)
//
//   ./k6 run test/smoke.test.js
import fw, { chat, connect, HzMonitor } from 'k6/x/featherweight';
import { check } from 'k6';

// 127.0.0.1 port 1: nothing listens there, the connect is refused at once.
const CLOSED = 'ws://127.0.0.1:1/api/chat';
const FAST = { timeouts: { connect: '1s' } };

export const options = {
  iterations: 1,
  vus: 1,
  thresholds: { checks: ['rate==1'] },
};

// throwsError reports whether fn throws an error whose message contains want.
function throwsError(fn, want) {
  try {
    fn();
  } catch (e) {
    return String(e).includes(want);
  }
  return false;
}

// HzMonitor validates its options in the init context.
const badMonitors = {
  'HzMonitor without url or healthz throws': () => new HzMonitor({}),
  'HzMonitor with an unknown option throws': () => new HzMonitor({ url: 'http://127.0.0.1:1/metrics', nope: 1 }),
  'HzMonitor with a bad mode throws': () => new HzMonitor({ url: 'http://127.0.0.1:1/metrics', mode: 'loud' }),
};
const initErrors = {};
for (const [name, fn] of Object.entries(badMonitors)) {
  initErrors[name] = throwsError(fn, '');
}
const mon = new HzMonitor({ url: 'http://127.0.0.1:1/metrics', min: 95, timeout: '1s' });

export default function () {
  check(fw, {
    'module exports chat, chatAsync, connect, HzMonitor': (m) =>
      typeof m.chat === 'function' && typeof m.chatAsync === 'function' &&
      typeof m.connect === 'function' && typeof m.HzMonitor === 'function',
    'named exports exist too': () => typeof chat === 'function' && typeof connect === 'function' && typeof HzMonitor === 'function',
  });
  check(initErrors, Object.fromEntries(Object.keys(initErrors).map((k) => [k, (e) => e[k]])));
  check(mon, { 'HzMonitor keeps its options': (m) => m.min === 95 && m.url === 'http://127.0.0.1:1/metrics' });

  check(null, {
    'chat with an unknown option throws': () => throwsError(() => chat(CLOSED, 'hi', { nope: true }), 'nope'),
    'chat with an ill-typed option throws': () => throwsError(() => chat(CLOSED, 'hi', { maxFrameBytes: 'big' }), 'maxFrameBytes'),
    'chat with an unknown protocol throws': () => throwsError(() => chat(CLOSED, 'hi', { protocol: 'smoke-signals' }), 'protocol'),
    'connect with a bad timeout throws': () => throwsError(() => connect(CLOSED, { timeouts: { connect: 'soon' } }), 'connect'),
  });

  const res = chat(CLOSED, 'hello', FAST);
  check(res, {
    'a refused connect is a failed turn, not an exception': (r) => r.ok === false,
    'its error kind is connect': (r) => r.error !== null && r.error.kind === 'connect',
  });

  const s = connect(CLOSED, FAST);
  check(s, { 'a session on a closed port is not connected': (x) => x.connected === false && x.error.kind === 'connect' });
  s.close();
}
