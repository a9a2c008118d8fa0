// bench-compare workload (a, one-shot): the native client with one fw.chat() per iteration, each
// turn on a WebSocket of its own (dial, one turn, close), the pattern of a script that does not
// keep sessions. Run by `make bench WHAT=compare` with BENCH_MODE=oneshot (bin/fwbench compare),
// beside `fwplain run -oneshot`; by hand:
//   BENCH_URL=ws://127.0.0.1:8080/api/chat BENCH_USERS=200 BENCH_DURATION=30s ./k6 run examples/bench/native-oneshot.js
import fw from 'k6/x/featherweight';
import { benchOptions, nativeSummary, URL, PROMPT, LOG_TURNS } from './summary.js';

export const options = benchOptions();

export default function () {
  const res = fw.chat(URL, PROMPT, { timeouts: { connect: '30s', total: '30s' } });
  if (res.ok && LOG_TURNS) console.log(`turn ${res.messageId} ${res.ttft}`);
}

export function handleSummary(data) {
  return nativeSummary(data);
}
