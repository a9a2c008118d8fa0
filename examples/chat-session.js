// Several turns on one WebSocket, one at a time, as a user in a conversation would.
//   ./k6 run examples/chat-session.js
import fw from 'k6/x/featherweight';
import { check, sleep } from 'k6';

export const options = {
  vus: 10,
  duration: '30s',
  thresholds: {
    fw_chat_failed: ['rate<0.01'],
    fw_chat_goodput: ['rate>0.95'],
    fw_chat_turns: ['count>0'],
  },
};

const URL = __ENV.FW_URL || 'ws://127.0.0.1:8080/api/chat';
const PROMPTS = ['Hello!', 'What is your loop frequency?', 'And under load?', 'Thanks, bye.'];

export default function () {
  const session = fw.connect(URL, {
    protocol: 'featherweight',
    timeouts: { firstToken: '10s', idle: '5s' },
    slo: { ttft: '300ms' },
    keepText: 256, // keep the first 256 bytes of each reply in res.text
  });
  if (!session.connected) {
    console.warn(`connect failed: ${session.error.kind}: ${session.error.message}`);
    return; // already counted as a failed turn (error_kind connect or handshake)
  }
  for (const [i, prompt] of PROMPTS.entries()) {
    const res = session.send(prompt, { tags: { turn: String(i + 1) } });
    check(res, { 'turn ok': (r) => r.ok });
    if (!res.ok) break; // a dropped or timed-out socket fails every later turn as `closed`
    sleep(0.5); // think time
  }
  session.close();
}
