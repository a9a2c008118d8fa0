/**
 * k6/x/featherweight: load-test a streaming chat backend over WebSocket and read its loop frequency.
 *
 * ```js
 * import fw from 'k6/x/featherweight';
 * // or: import { chat, chatAsync, connect, dataset, HzMonitor } from 'k6/x/featherweight';
 * ```
 *
 * @module featherweight
 */

// ---------------------------------------------------------------------------------------------
// Streaming chat (docs/chat.md)
// ---------------------------------------------------------------------------------------------

/** A duration: milliseconds, or a string such as `"5s"` or `"1m30s"`. Negative values throw. */
export type Duration = number | string;

/** Name of a built-in wire protocol. */
export type ProtocolName =
  | 'featherweight'
  | 'featherweight-unified'
  | 'openai'
  | 'openai-realtime'
  | 'text'
  | 'custom';

/**
 * A protocol with options. An object without `name` but with mapping fields (`tokenTypes`,
 * `typeField`, ...) is a `custom` mapping. Unknown keys throw.
 */
export interface ProtocolOptions {
  /** Protocol name. Default `'featherweight'` (or `'custom'` when mapping fields are given). */
  name?: ProtocolName;
  /**
   * Request template (openai, openai-realtime, featherweight-unified, custom): a string or an object
   * serialised to JSON. `{{prompt}}`, `{{messageId}}`, `{{model}}` and `{{timestamp}}` are replaced
   * by their JSON-escaped values. For openai-realtime, frames are separated by a line `---`.
   */
  request?: string | object;
  /** Model for the openai / openai-realtime default request. Default `'featherweight'`. */
  model?: string;
  /**
   * openai: what ends the turn. `'done'` (default): the `[DONE]` frame. `'finish_reason'`: the first
   * chunk with `finish_reason` set (the trailing usage chunk and `[DONE]` are then ignored).
   */
  doneOn?: 'done' | 'finish_reason';
  /** text: the frame (or frame suffix) that ends a reply. Default `'[END]'`. */
  endSentinel?: string;
  /** text: a frame starting with this is a server error. Default `'[ERROR] '`. */
  errorPrefix?: string;
  /** custom: dotted path of the event type. Default `'type'`. */
  typeField?: string;
  /** custom: type values that carry token text. Required for custom. */
  tokenTypes?: string[];
  /** custom: type values that end the turn. Required for custom. */
  doneTypes?: string[];
  /** custom: type values that fail the turn with `server_error`. Default none. */
  errorTypes?: string[];
  /** custom: dotted path of the token text. Default `'content'`. */
  textField?: string;
  /** custom: dotted path of the error text. Default `'message'`. */
  errorField?: string;
  /** custom: dotted path of a token count in a done frame. Default none. */
  usageField?: string;
  /** custom: with no `request`, send `{"a":{"b":prompt}}` for `'a.b'`. Default: the raw prompt. */
  promptField?: string;
}

/**
 * Timeouts; a zero, omitted, `null` or `undefined` value takes its default. A number larger than
 * a Go duration holds (about 292 years in ms) throws.
 */
export interface ChatTimeouts {
  /** TCP + TLS + WebSocket handshake. Default `10s`. Connect-level only. */
  connect?: Duration;
  /** Prompt written → first token-bearing frame. Default `60s`. */
  firstToken?: Duration;
  /** Gap between token-bearing frames (and last token → terminal frame). Default `30s`. */
  idle?: Duration;
  /** Prompt written → terminal frame. Default `120s`. */
  total?: Duration;
}

/** Goodput targets: a turn counts as goodput when it succeeded and met every target set. */
export interface ChatSLO {
  /** TTFT must be ≤ this. */
  ttft?: Duration;
  /** TPOT must be ≤ this (met vacuously when the turn had fewer than 2 tokens). */
  tpot?: Duration;
}

/** Params of a single turn (`send`, `sendAsync`); they override the session's for that turn. */
export interface TurnParams {
  /** Turn timeouts (`connect` is ignored here). */
  timeouts?: ChatTimeouts;
  /** Extra tags on the turn's samples (added to the session's and winning over them). */
  tags?: Record<string, string>;
  /** Goodput targets. */
  slo?: ChatSLO;
  /** Keep the reply text in `result.text`: `true` = 64 KiB, or a byte count (capped at 1 MiB). Default none. */
  keepText?: boolean | number;
}

/**
 * Params of `chat`, `chatAsync` and `connect`. Unknown keys and wrong types throw; any option or
 * nested option that is `null` or `undefined` means its default.
 */
export interface ChatParams extends TurnParams {
  /**
   * Upgrade request headers. k6's `userAgent` option is sent as `User-Agent` unless set here; an
   * `Authorization` here wins over the URL's userinfo. Header values never appear in errors, logs or tags.
   */
  headers?: Record<string, string>;
  /**
   * How `fw_chat_itl` is emitted. `'gaps'` (default): one sample per gap between token-bearing
   * frames, pushed in batches of 256 as the reply streams (vLLM's pooled per-gap ITL). `'summary'`:
   * per turn one `fw_chat_itl` sample (the turn's mean gap) and one `fw_chat_itl_max` (its largest
   * gap), for long soaks: k6 then keeps two values per turn instead of one per token, but ITL
   * percentiles are over turns and a stall inside a turn shows only in `fw_chat_itl_max`.
   */
  itl?: 'gaps' | 'summary';
  /**
   * Where the chat Trends' values are kept (`fw_chat_connecting`, `_ttft`, `_itl`, `_itl_max`,
   * `_tpot`, `_duration`). `'samples'` (default): one k6 sample per value, exact percentiles (k6
   * keeps every value while thresholds or the summary are on). `'sketch'`: in the extension's
   * run-wide sketches (percentiles within 1%, memory flat however long the run); k6 and its outputs
   * get the `<trend>_sketch` gauges (tag `stat`) instead. See {@link sketchThresholds} and
   * docs/chat.md, "Soak".
   */
  trends?: 'samples' | 'sketch';
  /** `Sec-WebSocket-Protocol` offers. */
  subprotocols?: string[];
  /** Wire protocol. Default `'featherweight'`. */
  protocol?: ProtocolName | ProtocolOptions;
  /** Largest received message in bytes; a larger one fails the turn with `protocol`. Default 1 MiB. */
  maxFrameBytes?: number;
}

/** Why a turn failed; also the `error_kind` tag of `fw_chat_errors`. */
export type ChatErrorKind =
  | 'connect'
  | 'handshake'
  | 'timeout_first_token'
  | 'timeout_idle'
  | 'timeout_total'
  | 'closed'
  | 'server_error'
  | 'protocol'
  | 'canceled'
  /** A bug in the extension (a panic in the turn): counted as a failure; the stack is logged once. */
  | 'internal';

export interface ChatError {
  kind: ChatErrorKind;
  message: string;
}

/**
 * Inter-token latency summary of one turn, in ms (`null` values when `count` is 0), over all its
 * gaps whatever the `itl` mode. `count`, `min`, `avg` and `max` are exact; `p50`, `p90` and `p99`
 * are nearest-rank gaps: exact for turns of fewer than 256 gaps, and from a constant-size sketch
 * (within 1% of the exact gap) for longer ones.
 */
export interface ITLSummary {
  count: number;
  min: number | null;
  avg: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** The outcome and timing of one turn. Times are in milliseconds. */
export interface ChatResult {
  /** The terminal frame arrived and no error occurred. */
  ok: boolean;
  /** Why the turn failed, or `null`. */
  error: ChatError | null;
  /** Server-reported usage when the protocol carries it, else `chunks`. */
  tokens: number;
  /** Which of the two `tokens` is. */
  tokensSource: 'usage' | 'frames';
  /** Token-bearing frames received. */
  chunks: number;
  /** Prompt written → first frame with non-empty token text; `null` when no token arrived. */
  ttft: number | null;
  /** Prompt written → terminal frame; `null` when the turn failed. */
  duration: number | null;
  /** (duration − ttft) / (tokens − 1); `null` unless ok and tokens > 1. */
  tpot: number | null;
  /** Gaps between consecutive token-bearing frames. */
  itl: ITLSummary;
  /** Close code when the socket closed during the turn (1006: dropped without a close frame), else 0. */
  closeCode: number;
  /** The turn's id on the wire. */
  messageId: string;
  /** The reply text, up to `keepText` bytes; empty when not kept. */
  text: string;
}

/**
 * A WebSocket for several turns, one at a time. The methods live on a prototype shared by every
 * session of the VU: call them on the session (`session.send(p)`); a method taken off its session
 * and called alone throws a `TypeError`.
 */
export interface ChatSession {
  /**
   * Whether the session can carry a turn, read live: false when the connect failed (counted as a
   * failed turn), after `close()`, after a turn that broke the socket (an interrupted turn, a
   * timeout, a dropped connection) and once the test ended. Assigning it changes nothing. A session
   * kept in a VU-level variable stays open across iterations.
   */
  readonly connected: boolean;
  /** The connect error, or `null`. */
  readonly error: ChatError | null;
  /** The protocol name (the `protocol` tag). */
  readonly protocol: string;
  /**
   * One turn; blocks the VU until it ends. Throws if another turn is in flight, if `prompt` is not a
   * string, or for bad params (nothing is counted then). On a session that is not connected it
   * returns `ok: false` with error kind `closed` and counts nothing. The turn's samples carry the
   * tags (and `group`) current when `send` is called, as a k6/http request does.
   */
  send(prompt: string, params?: TurnParams): ChatResult;
  /**
   * One turn, resolved on the event loop. Rejects (without counting a turn) if another turn is in
   * flight; throws like `send` for a bad prompt or params; a failed turn resolves with `ok: false`.
   * The session is free again when the promise resolves: a `send()` right after `await` works.
   */
  sendAsync(prompt: string, params?: TurnParams): Promise<ChatResult>;
  /** Sends a close frame and closes the socket. Idempotent. */
  close(): void;
}

/**
 * Connect, send one prompt, stream the reply, close. Blocks the VU until the turn ends.
 * Throws (and counts nothing) in the init context, when `url` is not a `ws://` or `wss://` URL,
 * when `prompt` is not a string, and for bad params; a bad server gives `ok: false`.
 * `ws://user:password@host/` sends the userinfo as `Authorization: Basic` and shows it masked
 * (`ws://****:****@host/`) in the `url`/`name` tags and in errors.
 */
export function chat(url: string, prompt: string, params?: ChatParams): ChatResult;

/**
 * Like {@link chat}, but the turn runs without blocking the event loop, so one VU can drive
 * several concurrent streams. Throws synchronously like {@link chat} for bad arguments; the
 * promise never rejects for a failed turn.
 */
export function chatAsync(url: string, prompt: string, params?: ChatParams): Promise<ChatResult>;

/**
 * Open a session for several turns on one WebSocket. Emits `fw_chat_connecting`. Throws like
 * {@link chat} for a bad `url` or params; a failed connect is a counted failed turn.
 */
export function connect(url: string, params?: ChatParams): ChatSession;


// ---------------------------------------------------------------------------------------------
// Hz monitor (docs/hz.md)
// ---------------------------------------------------------------------------------------------
// Datasets

/** Options of {@link dataset}. Unknown keys and wrong types throw. */
export interface DatasetOptions {
  /**
   * Seed of the order in which sessions take conversations (a non-negative integer). Default: a
   * random seed, chosen once per k6 process and logged, so a run can be repeated.
   */
  seed?: number;
}

/**
 * A dataset of conversations: each the human turns of one JSONL line, in order, text unchanged.
 * Read once per k6 process and shared read-only by every VU.
 */
export interface Dataset {
  /** The file's base name, e.g. `chat-sharegpt.jsonl`. */
  readonly name: string;
  /** Conversations: lines with at least one non-empty human turn. */
  readonly size: number;
  /** Human turns in all conversations. */
  readonly prompts: number;
  /** Lines skipped because they had no non-empty human turn. */
  readonly skipped: number;
  /** The seed of this object's order (the given one, or the one chosen for the process). */
  readonly seed: number;
  /** Distinct conversations handed out by `conversation()` so far, in this k6 process (all VUs). */
  readonly used: number;
  /**
   * The human turns of the conversation that session number `session` takes in the seeded order
   * (a permutation of the dataset; after `size` sessions it repeats). A fresh array on every call.
   * Pass `exec.scenario.iterationInTest` to give every session of a run its own conversation.
   */
  conversation(session: number): string[];
}

/**
 * Loads a JSONL dataset of conversations, one per line: ShareGPT-style
 * `{"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", "value": "..."}]}`
 * (turns from `human` or `user` are the prompts) or plain `{"turns": ["...", "..."]}`.
 * Call it in the init context; the file (a path relative to the working directory) is read once per
 * k6 process whatever the number of VUs, and kept in compact read-only memory (below the file's size).
 * Throws at init, naming the file and line, for a malformed line; throws for an empty file and for
 * one without any human turn. See docs/workloads.md.
 *
 * ```js
 * const convs = fw.dataset('examples/data/chat-sharegpt.jsonl', { seed: 42 });
 * export default function () {
 *   const s = fw.connect(url);
 *   for (const prompt of convs.conversation(exec.scenario.iterationInTest)) s.send(prompt);
 *   s.close();
 * }
 * ```
 */
export function dataset(path: string, options?: DatasetOptions): Dataset;

// ---------------------------------------------------------------------------------------------

/** How the metric family is turned into a frequency. */
export type HzMode = 'auto' | 'gauge' | 'counter' | 'histogram';

/** Why a scrape failed (`error.kind`); the value of the `error_kind` tag on `fw_hz_scrape_failed`. */
export type HzErrorKind =
  | 'http_status'
  | 'timeout'
  | 'connect'
  | 'read'
  | 'body_too_large'
  | 'parse'
  | 'missing_metric'
  | 'ambiguous'
  | 'type_mismatch'
  | 'nan'
  | 'healthz_parse'
  | 'canceled'
  | 'invalid_url';

/** @deprecated The former name of {@link HzErrorKind}. */
export type HzFailureReason = HzErrorKind;

/** Options of {@link HzMonitor}. Unknown keys, wrong types and negative durations throw. */
export interface HzOptions {
  /** The Prometheus endpoint, e.g. `http://127.0.0.1:8080/metrics`. Required unless `healthz` or `prometheus` is set. */
  url?: string;
  /**
   * Instead of `url`: the base URL of a Prometheus server, e.g. `http://prometheus:9090`, queried
   * with `query` over `/api/v1/query`. Excludes `url`, `healthz`, `labels`, `metric` and `mode`.
   */
  prometheus?: string;
  /** The PromQL instant query run on `prometheus`, e.g. `'consciousness_loop_hz'`; its result must be a vector. Required with `prometheus`. */
  query?: string;
  /** HTTP headers sent with every request, e.g. `{ Authorization: 'Bearer ...' }`. Never printed. */
  headers?: Record<string, string>;
  /** Metric family name. @defaultValue `'consciousness_loop_hz'` */
  metric?: string;
  /** Every selected series must carry these labels with these values; `''` matches a missing label. @defaultValue none */
  labels?: Record<string, string>;
  /** `auto` picks by the family's `# TYPE`: gauge/untyped → gauge, counter → counter, histogram/summary → histogram. @defaultValue `'auto'` */
  mode?: HzMode;
  /** A `/healthz` URL read (JSON field `hz`, also from a 503 body) whenever the `/metrics` scrape fails. @defaultValue no fallback */
  healthz?: string;
  /** Pass threshold of the `checks{type:hz}` sample: pass when hz ≥ min. @defaultValue `95` */
  min?: number;
  /** Timeout of each request, body included. @defaultValue `'2s'` */
  timeout?: Duration;
  /** Cap on the response body; a larger body fails with `body_too_large`. @defaultValue `4194304` (4 MiB) */
  maxBodyBytes?: number;
  /** How several matching series combine; without it they are an `ambiguous` failure (with `prometheus`: one sample and check per series). @defaultValue none */
  aggregate?: 'mean' | 'min' | 'max' | 'sum';
  /** Extra tags on every sample this monitor emits. */
  tags?: Record<string, string | number | boolean>;
  /** Redirects one request follows; one more fails with `http_status` (the 3xx status). A redirect from https to http is never followed. @defaultValue k6's `maxRedirects` (10) */
  redirects?: number;
  /** The User-Agent header; `''` sends none. @defaultValue k6's `userAgent` */
  userAgent?: string;
}

/** The failure of a scrape: `{kind, message}`, the shape of the chat functions' {@link ChatError}. */
export interface HzError {
  /** Also the `error_kind` tag of the failed `fw_hz_scrape_failed` sample. */
  kind: HzErrorKind;
  /** What failed; URL userinfo is masked (`http://****:****@host/...`), never printed. */
  message: string;
  /** The HTTP status of an `http_status` failure. */
  status?: number;
  /** The `/healthz` fallback's own failure, when it was tried and failed too. */
  healthz?: { kind: HzErrorKind; message: string; /** @deprecated use `kind` */ reason: HzErrorKind };
  /** @deprecated The same value as `kind`; kept for scripts written before v0.x unified the error shapes. */
  reason: HzErrorKind;
}

/** One series of a Prometheus query result (`prometheus` without `aggregate`). */
export interface HzSeriesValue {
  /** The series' labels, without `__name__`; also the tags of its samples. */
  labels: Record<string, string>;
  hz: number;
  /** `hz >= min`. */
  pass: boolean;
}

/** Why a reading came from the `/healthz` fallback. */
export interface HzFallback {
  /** The `/metrics` failure's kind. */
  kind: HzErrorKind;
  /** @deprecated The same value as `kind`. */
  reason: HzErrorKind;
  /** Its HTTP status, `0` when not an `http_status` failure. */
  status: number;
  /** Short and stable, e.g. `'/metrics answered 404'`, `'/metrics timed out'`, `'/metrics: missing_metric'`. */
  note: string;
  /** The `/metrics` error message (URL userinfo masked). */
  message: string;
}

/** The result of {@link HzMonitor.scrape}. */
export interface HzReading {
  /** The scrape succeeded: a value was read, or a counter baseline was taken. */
  ok: boolean;
  /** The frequency in Hz; `null` on failure, on a counter/histogram scrape without a rate (the first one, a reset), and for a Prometheus result of several series without `aggregate` (see `values`). */
  hz: number | null;
  /** With `prometheus` and no `aggregate`: one entry per series of the result; `null` otherwise. */
  values: HzSeriesValue[] | null;
  /** `hz !== null && hz >= min` (the value of the `checks{type:hz}` sample); with `values`, every series passes. */
  pass: boolean;
  /** Where the value came from; on failure, the endpoint whose failure is `error.kind` (`metrics` when a `url` is set). Also the `source` tag of every sample. */
  source: 'metrics' | 'healthz' | 'prometheus';
  /** Why a value came from `/healthz` although `url` is set (the `/metrics` failure); `null` otherwise. */
  fallback: HzFallback | null;
  /** The mode the family was read in; `''` for healthz readings and early failures. */
  mode: 'gauge' | 'counter' | 'histogram' | '';
  /** How many series matched (1 for healthz). */
  series: number;
  /** A counter or histogram count went down (the process restarted); the interval was skipped. */
  reset: boolean;
  /** `null` when ok. */
  error: HzError | null;
  /** Scrape time in milliseconds, fallback included. */
  duration: number;
}

/**
 * Reads the backend loop's frequency from Prometheus `/metrics` (falling back to `/healthz`), or a
 * fleet's from a Prometheus server (`prometheus` and `query`).
 * Create it in the init context and scrape from one dedicated 1-VU scenario, never from every chat VU.
 *
 * Each `scrape()` emits `fw_loop_hz` (when there is a value), `fw_hz_scrape_duration`,
 * `fw_hz_scrape_failed` (tagged `error_kind` on failure) and a `checks` sample tagged `type:hz` and
 * `check: "hz >= <min>"` with its count in `fw_hz_readings` (tagged `result: passed | failed`)
 * (none for a counter scrape without a value), all tagged
 * `source: metrics | healthz | prometheus`; a Prometheus result without `aggregate` gives one
 * `fw_loop_hz` and one check per series, tagged with its labels. A reading from the `/healthz` fallback names its check
 * `"hz >= 95 (from /healthz: /metrics answered 404)"` and logs one warning per cause.
 * Requests follow k6's `maxRedirects`, `userAgent`, `insecureSkipTLSVerify`, dialer and TLS options.
 *
 * ```js
 * const mon = new HzMonitor({ url: 'http://127.0.0.1:8080/metrics', healthz: 'http://127.0.0.1:8080/healthz' });
 * export function hz() { mon.scrape(); }
 * ```
 */
export class HzMonitor {
  /** Throws for bad options, naming the option. */
  constructor(options: HzOptions);
  /** The `/metrics` URL, userinfo masked (`''` with `prometheus`). */
  readonly url: string;
  /** The Prometheus server's URL, userinfo masked (`''` without `prometheus`). */
  readonly prometheus: string;
  /** The pass threshold. */
  readonly min: number;
  /** Scrape once and emit the samples. Throws in the init context; never throws for a bad backend. */
  scrape(): HzReading;
}

/** The formats of a request trace (docs/executors.md, "Formats"). */
export type TraceFormat = 'azure' | 'mooncake' | 'burstgpt' | 'timestamps';

/** One request of a trace: the row that started the current `trace-arrival` iteration. */
export interface TraceRow {
  /** The row's index from 0; equals `exec.scenario.iterationInTest`. */
  readonly index: number;
  /** The row's line in the file, from 1. */
  readonly line: number;
  /** Seconds from the first row, before `speed`. */
  readonly offset: number;
  /** The request's prompt size in tokens; `null` for a `timestamps` trace. */
  readonly inputTokens: number | null;
  /** The request's reply size in tokens; `null` for a `timestamps` trace. */
  readonly outputTokens: number | null;
  /** BurstGPT's `Model` column; `null` in the other formats. */
  readonly model: string | null;
  /** Mooncake's `hash_ids` (prompt block hashes); `null` in the other formats. */
  readonly hashIds: number[] | null;
  /** The trace file as the scenario names it. */
  readonly file: string;
  readonly format: TraceFormat;
}

/**
 * The trace row of the running iteration of a `trace-arrival` scenario (docs/executors.md). The
 * executor and every VU share one copy of the file, parsed once per k6 process. Throws outside an
 * iteration of a `trace-arrival` scenario.
 */
export function traceRow(): TraceRow;

/** What {@link trace} read of a trace file. */
export interface TraceInfo {
  readonly file: string;
  readonly format: TraceFormat;
  /** The number of rows (requests). */
  readonly rows: number;
  /** Seconds from the first row to the last, before any `speed`. */
  readonly duration: number;
  /** Total input and output tokens over the rows; `null` for a `timestamps` trace. */
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
}

/**
 * Describe a trace file (for sizing other scenarios to a replay), read through the same
 * once-per-process cache as the `trace-arrival` executor. `format` is detected when omitted.
 * Throws naming the file and line for a malformed row or a timestamp going backwards.
 */
export function trace(path: string, options?: { format?: TraceFormat }): TraceInfo;

/** A k6 thresholds object: metric (or submetric) key to its expressions. */
export type Thresholds = Record<string, Array<string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string }>>;

/**
 * The same thresholds for a run whose chat Trends are sketched (`trends: 'sketch'`): a threshold on a
 * sketched Trend, `fw_chat_ttft: ['p(95)<2000']`, becomes one on the gauge that carries that
 * statistic of the whole run, `'fw_chat_ttft_sketch{stat:p95}': ['value<2000']`; the others are kept.
 * Throws for a submetric of a sketched Trend or a bad expression. Callable in the init context.
 */
export function sketchThresholds(thresholds: Thresholds): Thresholds;

/** Refresh the `<trend>_sketch` gauges now (call it in `teardown()`, after every turn). */
export function flushTrends(): void;

/**
 * `handleSummary`'s data with every sketched Trend shown as k6 shows a Trend (its
 * `summaryTrendStats`) and the thresholds of its gauges under the Trend's own expressions; the gauges
 * are dropped. Data of a run without sketches comes back unchanged.
 */
export function summary<T extends object>(data: T): T;

/** Options of {@link checkpoint}. */
export interface CheckpointOptions {
  /** The file to write, replaced atomically, e.g. `${__ENV.FW_OUT_DIR}/summary.partial.json`. */
  path: string;
  /** How often; a duration greater than zero. */
  every: Duration;
  /** Written as the checkpoint's `featherweight` key (the run's identity). */
  identity?: object;
  /** The run's thresholds; those on metrics the extension measures are judged in each checkpoint. */
  thresholds?: Thresholds;
  /** The Trend statistics shown. Default avg, min, med, max, p(90), p(95), p(99). */
  summaryTrendStats?: string[];
}

/**
 * Write the summary so far (summary.json's shape, `"partial": true`, its `span`) every `every` until
 * the test ends, then once more. Call it in `setup()`; in the init context it only checks the options
 * (a bad one throws, naming it). One writer per k6 process.
 */
export function checkpoint(options: CheckpointOptions): void;

/** The default export: the same functions and class as the named exports. */
declare const featherweight: {
  chat: typeof chat;
  chatAsync: typeof chatAsync;
  connect: typeof connect;
  dataset: typeof dataset;
  trace: typeof trace;
  traceRow: typeof traceRow;
  HzMonitor: typeof HzMonitor;
  sketchThresholds: typeof sketchThresholds;
  flushTrends: typeof flushTrends;
  summary: typeof summary;
  checkpoint: typeof checkpoint;
};
export default featherweight;
