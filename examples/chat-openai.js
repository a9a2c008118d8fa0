// OpenAI-style chat-completion chunks over WebSocket (fwsim serves them on /v1/chat/stream), plus
// the Realtime-style events on /v1/realtime. Tokens come from the server's usage when it sends it
// (res.tokensSource === 'usage').
//   ./k6 run examples/chat-openai.js
import fw from 'k6/x/featherweight';
import { check } from 'k6';

const BASE = __ENV.FW_BASE || 'ws://127.0.0.1:8080';
const OPENAI_URL = __ENV.FW_URL || `${BASE}/v1/chat/stream`;
const REALTIME_URL = __ENV.FW_REALTIME_URL || `${BASE}/v1/realtime`;

export const options = {
  vus: 2,
  iterations: 20,
  thresholds: {
    'fw_chat_failed{protocol:openai}': ['rate<0.01'],
    'fw_chat_failed{protocol:openai-realtime}': ['rate<0.01'],
    'fw_chat_turns{protocol:openai}': ['count>0'],
  },
};

export default function () {
  const res = fw.chat(OPENAI_URL, 'Summarise the Featherweight loop.', {
    protocol: {
      name: 'openai',
      model: 'featherweight-small',
      // doneOn: 'finish_reason', // end at the first chunk with finish_reason (ignores usage and [DONE])
      // request: { model: '{{model}}', messages: [{ role: 'user', content: '{{prompt}}' }], stream: true },
    },
    headers: { Authorization: `Bearer ${__ENV.OPENAI_API_KEY || 'test'}` },
  });
  check(res, {
    'openai ok': (r) => r.ok,
    'openai usage tokens': (r) => r.tokensSource === 'usage' && r.tokens > 0,
  });

  const rt = fw.chat(REALTIME_URL, 'And in one sentence?', { protocol: 'openai-realtime' });
  check(rt, { 'realtime ok': (r) => r.ok });
}
