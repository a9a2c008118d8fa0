// poisson-arrival-rate (or constant-arrival-rate, EXECUTOR) sessions against fwsim: each arrival is
// one WebSocket session of one turn, so fwsim's turn log holds the server's view of the arrivals.
import fw from 'k6/x/featherweight';

const scenario = {
  executor: __ENV.EXECUTOR || 'poisson-arrival-rate',
  rate: Number(__ENV.RATE),
  duration: __ENV.DURATION,
  preAllocatedVUs: Number(__ENV.VUS),
  gracefulStop: '5s',
};
if (scenario.executor === 'poisson-arrival-rate') scenario.seed = Number(__ENV.SEED);

export const options = { scenarios: { sessions: scenario } };

export default function () {
  fw.chat(__ENV.URL, 'hi');
}
