// One chat turn per iteration: connect, send one prompt, stream the reply, close.
//   ./k6 run examples/chat-oneshot.js            (against `make run` / bin/fwsim on 127.0.0.1:8080)
//   FW_URL=wss://chat.example/api/chat ./k6 run examples/chat-oneshot.js
import fw from 'k6/x/featherweight';
import { check } from 'k6';

export const options = {
  vus: 5,
  duration: '20s',
  thresholds: {
    fw_chat_failed: ['rate<0.01'],
    fw_chat_ttft: ['p(95)<500'],
    fw_chat_itl: ['p(95)<100'],
    fw_chat_turns: ['count>0'], // no vacuous pass: at least one turn must have run
  },
};

const URL = __ENV.FW_URL || 'ws://127.0.0.1:8080/api/chat';

export default function () {
  const res = fw.chat(URL, 'Tell me about the 100 Hz loop.', {
    timeouts: { connect: '5s', firstToken: '10s', idle: '5s', total: '60s' },
    slo: { ttft: 300, tpot: 50 }, // fw_chat_goodput: ok and within these
    tags: { flow: 'oneshot' },
  });
  check(res, {
    'turn ok': (r) => r.ok,
    'got tokens': (r) => r.tokens > 0,
  });
  if (!res.ok) {
    console.warn(`turn failed: ${res.error.kind}: ${res.error.message}`);
  }
}
