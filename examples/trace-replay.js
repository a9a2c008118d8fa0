// Production traffic replayed: one chat session at each request of a trace, at the request's time
// (trace-arrival, registered by this extension), ten times as fast. The trace is an excerpt of the
// Azure LLM inference trace 2023 (examples/data/README.md: CC BY 4.0, Azure Public Dataset); each
// session sends one prompt of the request's input length (ContextTokens, counted as words).
//   ./k6 run examples/trace-replay.js                       (from the repository root, against `make run`)
//   ./k6 run -e TRACE=mooncake_trace.jsonl -e SPEED=1 examples/trace-replay.js
// Two machines sharing the rows (each row is started by exactly one of them):
//   ./k6 run --execution-segment 0:1/2 --execution-segment-sequence 0,1/2,1 examples/trace-replay.js
//   ./k6 run --execution-segment 1/2:1 --execution-segment-sequence 0,1/2,1 examples/trace-replay.js
import fw from 'k6/x/featherweight';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

export const options = {
  scenarios: {
    replay: {
      executor: 'trace-arrival',
      trace: __ENV.TRACE || 'examples/data/azure-llm-conv-2023-excerpt.csv', // relative to the working directory
      speed: Number(__ENV.SPEED || 10), // 10 = ten times as fast as recorded
      preAllocatedVUs: 20,
      maxVUs: 100,
      gracefulStop: '30s',
    },
  },
  thresholds: {
    fw_chat_failed: ['rate<0.01'],
    fw_chat_turns: ['count>0'],
    dropped_iterations: ['count<1'], // the VUs must keep up with the trace
  },
};

const URL = __ENV.FW_URL || 'ws://127.0.0.1:8080/api/chat';
// requested_output_tokens: what the trace's requests got from their backend, beside fw_chat_tokens.
const requested = new Counter('requested_output_tokens');

export default function () {
  const row = fw.traceRow(); // this iteration's request: exec.scenario.iterationInTest === row.index
  if (row.outputTokens !== null) requested.add(row.outputTokens);
  const words = Math.max(1, row.inputTokens || 1);
  const prompt = Array.from({ length: words }, (_, i) => `w${(row.index + i) % 997}`).join(' ');
  const res = fw.chat(URL, prompt);
  check(res, { 'turn ok': (r) => r.ok });
}
