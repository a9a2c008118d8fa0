// bench-sidebyside workload (b): the same turns written with k6's built-in k6/websockets, parsing
// frames in JS as a script author would. Each VU is one user: one WebSocket for the whole run,
// turns back to back until BENCH_DURATION has passed. Run by `make bench-sidebyside` (bin/fwbench sidebyside); by hand:
//   BENCH_URL=ws://127.0.0.1:8080/api/chat BENCH_USERS=200 BENCH_DURATION=30s ./k6 run examples/bench/websockets.js
import { WebSocket } from 'k6/websockets';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { benchOptions, benchSummary, DURATION_MS, URL, PROMPT, LOG_TURNS } from './summary.js';

export const options = benchOptions();

const ttft = new Trend('bench_ttft', true);
const itl = new Trend('bench_itl', true);
const turns = new Counter('bench_turns');
const failed = new Counter('bench_failed');
const tokens = new Counter('bench_tokens');

export default function () {
  const end = Date.now() + DURATION_MS;
  const user = exec.vu.idInTest;
  const ws = new WebSocket(URL);
  let n = 0;
  let id = '';
  let start = 0;
  let first = 0;
  let last = 0;
  let count = 0;
  let inTurn = false;

  function next() {
    if (Date.now() >= end) {
      ws.close();
      return;
    }
    id = `ws-${user}-${n++}`;
    ws.send(JSON.stringify({ type: 'user_message', content: PROMPT, messageId: id, timestamp: new Date().toISOString() }));
    start = Date.now();
    last = 0;
    count = 0;
    inTurn = true;
  }

  ws.onopen = next;
  ws.onmessage = (e) => {
    const now = Date.now();
    let f;
    try {
      f = JSON.parse(e.data);
    } catch (_) {
      return; // not JSON: not ours
    }
    if (f.type === 'error' && (!f.messageId || f.messageId === id)) {
      failed.add(1);
      inTurn = false;
      ws.close();
      return;
    }
    if (f.type !== 'stream_event' || !f.event || (f.event.messageId && f.event.messageId !== id)) return;
    if (f.event.type === 'token' && f.event.data) {
      if (last === 0) {
        first = now;
        ttft.add(first - start);
      } else {
        itl.add(now - last);
      }
      last = now;
      count++;
    } else if (f.event.type === 'complete') {
      inTurn = false;
      tokens.add(count);
      if (count > 0) {
        turns.add(1);
        if (LOG_TURNS) console.log(`turn ${id} ${first - start}`);
      } else {
        failed.add(1);
      }
      next();
    }
  };
  ws.onerror = () => {
    if (inTurn) failed.add(1);
    inTurn = false;
  };
  ws.onclose = () => {
    if (inTurn) failed.add(1);
    inTurn = false;
  };
}

export function handleSummary(data) {
  return benchSummary('websockets', data, {
    turns: 'bench_turns',
    failed: 'bench_failed',
    tokens: 'bench_tokens',
    ttft: 'bench_ttft',
    itl: 'bench_itl',
  });
}
