// bench-sidebyside workload (a): the native client. Each VU is one user: one session (one WebSocket),
// turns back to back. Run by `make bench-sidebyside` (bin/fwbench sidebyside); by hand:
//   BENCH_URL=ws://127.0.0.1:8080/api/chat BENCH_USERS=200 BENCH_DURATION=30s ./k6 run examples/bench/native.js
import fw from 'k6/x/featherweight';
import { benchOptions, nativeSummary, DURATION_MS, URL, PROMPT, LOG_TURNS } from './summary.js';

export const options = benchOptions();

// A session lives for one iteration (it closes with the iteration), so, like the k6/websockets
// workload, one iteration is the user's whole run: turns back to back until BENCH_DURATION.
export default function () {
  const end = Date.now() + DURATION_MS;
  const session = fw.connect(URL, { timeouts: { connect: '30s', total: '30s' } });
  if (!session.connected) return; // counted by the extension as a failed turn
  while (Date.now() < end) {
    const res = session.send(PROMPT);
    if (res.ok && LOG_TURNS) console.log(`turn ${res.messageId} ${res.ttft}`);
    if (!res.ok) break; // the socket is gone: a later send would fail as `closed`
  }
  session.close();
}

export function handleSummary(data) {
  return nativeSummary(data);
}
