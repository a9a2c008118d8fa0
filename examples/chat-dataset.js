// Production-shaped chat traffic in one script: sessions arrive at random (the extension's
// poisson-arrival-rate executor, an open model), and each session replays one conversation of a
// ShareGPT-style dataset, its human turns in order on one socket, with exponential think time.
//   ./k6 run examples/chat-dataset.js
//   FW_DATASET=my-traffic.jsonl FW_RATE=20 FW_BURSTINESS=0.5 ./k6 run examples/chat-dataset.js
// See docs/workloads.md.
import fw from 'k6/x/featherweight';
import exec from 'k6/execution';
import { check, sleep } from 'k6';

const URL = __ENV.FW_CHAT_URL || 'ws://127.0.0.1:8080/api/chat';
const SEED = 42;

// Loaded once per k6 process (not once per VU) and shared read-only by every VU. A bad line stops
// the test here, at init, naming the file and line; nothing is sent.
const conversations = fw.dataset(__ENV.FW_DATASET || 'examples/data/chat-sharegpt.jsonl', { seed: SEED });

export const options = {
  scenarios: {
    sessions: {
      executor: 'poisson-arrival-rate',
      rate: Number(__ENV.FW_RATE || 2), // sessions per timeUnit, on average
      timeUnit: '1s',
      duration: '30s',
      burstiness: Number(__ENV.FW_BURSTINESS || 1), // 1 = Poisson; < 1 burstier, > 1 more regular
      seed: SEED, // the same arrivals on every run (and split exactly between execution segments)
      preAllocatedVUs: 10,
      maxVUs: 50, // an arrival that finds every VU busy is counted in dropped_iterations
    },
  },
  thresholds: {
    fw_chat_failed: ['rate<0.01'],
    fw_chat_turns: ['count>0'],
    dropped_iterations: ['count<1'],
  },
};

// One arrival is one user's session: the conversation the seeded order gives this session number.
export default function () {
  const prompts = conversations.conversation(exec.scenario.iterationInTest);
  const session = fw.connect(URL);
  try {
    for (let t = 0; t < prompts.length; t++) {
      const res = session.send(prompts[t]);
      check(res, { 'turn ok': (r) => r.ok });
      if (!res.ok) break;
      if (t < prompts.length - 1) sleep(-Math.log(1 - Math.random())); // exponential think time, mean 1 s
    }
  } finally {
    session.close();
  }
}

export function teardown() {
  console.log(`${conversations.name}: ${conversations.size} conversations, seed ${conversations.seed}`);
}
