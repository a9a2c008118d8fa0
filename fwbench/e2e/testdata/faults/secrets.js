// Secrets: URL userinfo and Authorization headers must never appear in
// anything k6 prints or writes. Every result and reading is logged whole (`FWS {json}`), the
// summary is written to FW_SUMMARY and to stdout.
//
// FW_CHAT_REJECT  a ws:// URL whose upgrade is rejected (401); FW_CHAT_REJECT_USER: with user:password@
// FW_CHAT_OK      a ws:// URL of a healthy server (FW_CHAT_OK_USER: the same with user:password@)
// FW_HZ_BASE      an http:// base with user:password@ whose /metrics and /healthz fail
// FW_TOKEN        the bearer token sent as Authorization
import fw, { HzMonitor } from 'k6/x/featherweight';

export const options = { iterations: 1, vus: 1 };

const headers = { Authorization: 'Bearer ' + __ENV.FW_TOKEN };
const mon = new HzMonitor({ url: __ENV.FW_HZ_BASE + '/metrics', healthz: __ENV.FW_HZ_BASE + '/healthz' });

function log(what, v) {
  console.log('FWS ' + what + ' ' + JSON.stringify(v));
}

export default async function () {
  log('chat rejected', fw.chat(__ENV.FW_CHAT_REJECT, 'hi', { headers }));
  log('chat ok', fw.chat(__ENV.FW_CHAT_OK, 'hi', { headers }));
  log('chat userinfo', fw.chat(__ENV.FW_CHAT_OK_USER, 'hi', { headers }));
  log('chat rejected userinfo', fw.chat(__ENV.FW_CHAT_REJECT_USER, 'hi', { headers }));
  log('chatAsync rejected', await fw.chatAsync(__ENV.FW_CHAT_REJECT_USER, 'hi', { headers }));
  const s = fw.connect(__ENV.FW_CHAT_REJECT, { headers });
  log('connect rejected', { connected: s.connected, error: s.error, protocol: s.protocol });
  log('send on a failed session', s.send('hi'));
  const ok = fw.connect(__ENV.FW_CHAT_OK, { headers });
  log('send', ok.send('hi'));
  ok.close();
  log('hz', mon.scrape());
}

export function handleSummary(data) {
  return { [__ENV.FW_SUMMARY]: JSON.stringify(data), stdout: JSON.stringify(data) };
}
