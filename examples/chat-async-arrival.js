// Open-model load: a constant arrival rate of chat turns, several concurrent streams per VU.
// chatAsync returns a Promise resolved on the event loop; the VU is never blocked while streams
// are in flight, so a few VUs can hold many concurrent streams.
//   ./k6 run examples/chat-async-arrival.js
import fw from 'k6/x/featherweight';
import { check } from 'k6';

const URL = __ENV.FW_URL || 'ws://127.0.0.1:8080/api/chat';
const STREAMS_PER_ITERATION = 4;

export const options = {
  scenarios: {
    arrivals: {
      executor: 'constant-arrival-rate',
      rate: 5, // iterations per second, each starting STREAMS_PER_ITERATION streams
      timeUnit: '1s',
      duration: '30s',
      preAllocatedVUs: 5,
      maxVUs: 20,
    },
  },
  thresholds: {
    fw_chat_failed: ['rate<0.01'],
    fw_chat_ttft: ['p(95)<500'],
    fw_chat_turns: ['count>0'],
  },
};

export default async function () {
  const turns = [];
  for (let i = 0; i < STREAMS_PER_ITERATION; i++) {
    turns.push(fw.chatAsync(URL, `Question ${i}: how is the loop?`, { tags: { stream: String(i) } }));
  }
  const results = await Promise.all(turns);
  for (const res of results) {
    check(res, { 'turn ok': (r) => r.ok });
  }

  // A session also has an async form; one turn at a time (a second concurrent sendAsync rejects).
  const session = fw.connect(URL);
  if (session.connected) {
    const first = await session.sendAsync('first');
    const second = await session.sendAsync('second');
    check(second, { 'session turns ok': (r) => first.ok && r.ok });
    session.close();
  }
}
