// Build, sign and POST test events. No terminal I/O and no process.exit: every function returns data or throws.
// node:http, not undici: `etsyhook send` is one request, and loading undici cost more than the request (CI sends
// hundreds of them).
// node:https (TLS) and perf_hooks load only when used: a quarter of the start-up `send` had left to lose.
import type { Agent as HttpAgent, IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { OperationError } from '../../errors.js';
import { isCertificateCode, networkFailure, type NetworkErrorCode } from '../../net-errors.js';
import { isDuplicateAnswer } from './answer.js';
import { latency } from './stats.js';
import { userAgent } from '../../version.js';
import type { EventType } from '../events/catalog.js';
import { buildFixture, type Json, type JsonObject } from '../events/fixtures.js';
import { applySet } from '../events/set-path.js';
import { newWebhookId, signatureHeaders, type Scheme } from '../receive/signature.js';

export interface EventSpec {
  type: EventType;
  scheme: Scheme;
  secret: string;
  /** Bytes sent exactly as given (`--data` without `--set`); when set, no fixture is built. */
  data?: Buffer;
  /** A JSON object to edit instead of a fresh fixture (`--data` with `--set`). */
  base?: JsonObject;
  /** `key.path=value` assignments applied to the fixture (or `base`). */
  sets?: readonly string[];
  shopId?: number;
  /** webhook-id (standard scheme); a fresh one when absent. */
  id?: string;
  /** Unix seconds to sign with; now when absent. */
  timestamp?: number;
}

export interface PreparedEvent {
  type: string;
  scheme: Scheme;
  /** webhook-id; undefined for the legacy scheme, which has no id header. */
  id: string | undefined;
  timestamp: number;
  /** The exact bytes that are signed and sent. */
  body: Buffer;
  /** The parsed body when it is JSON, otherwise the body as text. */
  payload: Json;
  /** Every request header sent, signature headers included (never the secret). */
  headers: Record<string, string>;
}

/** Build the body (fixture, edited JSON, or raw bytes) and sign it. */
export function prepareEvent(spec: EventSpec): PreparedEvent {
  const timestamp = spec.timestamp ?? Math.floor(Date.now() / 1000);
  let body: Buffer;
  let payload: Json;
  if (spec.data !== undefined && spec.base === undefined) {
    body = spec.data;
    payload = parseOrText(body);
  } else {
    const fixture: JsonObject = spec.base !== undefined ? structuredClone(spec.base) : buildFixture(spec.type, withShop(spec.shopId, timestamp));
    for (const assignment of spec.sets ?? []) applySet(fixture, assignment);
    if ((spec.sets ?? []).some((a) => a.startsWith('shop_id='))) followShop(fixture);
    payload = fixture;
    body = Buffer.from(JSON.stringify(fixture), 'utf8');
  }
  const id = spec.scheme === 'standard' ? (spec.id ?? newWebhookId()) : undefined;
  const signature = signatureHeaders(spec.scheme, spec.secret, body, { timestamp, ...(id === undefined ? {} : { id }) });
  return {
    type: spec.type.name,
    scheme: spec.scheme,
    id,
    timestamp,
    body,
    payload,
    headers: { 'content-type': 'application/json', 'user-agent': userAgent(), ...signature },
  };
}

/** `--set shop_id=N` moves the resource_url to that shop too, as `--shop` does: the payload stays consistent. */
function followShop(payload: JsonObject): void {
  const shop = payload.shop_id;
  const url = payload.resource_url;
  if ((typeof shop !== 'number' && typeof shop !== 'string') || typeof url !== 'string') return;
  payload.resource_url = url.replace(/\/shops\/[^/]+/, `/shops/${shop}`);
}

function withShop(shopId: number | undefined, now: number): { shopId?: number; now: number } {
  return shopId === undefined ? { now } : { shopId, now };
}

function parseOrText(body: Buffer): Json {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

export interface Delivery {
  status: number;
  /** From sending the request to having read the whole answer. */
  ms: number;
  /** The answer's body (its first MAX_ANSWER_BYTES). */
  body: string;
  /** The body was longer than what was kept. */
  truncated?: boolean;
  /** The answer's headers, names lower-case. */
  headers: Record<string, string>;
  /** A 2xx that says the receiver already had this webhook-id (`{"status":"duplicate"}`). */
  duplicate: boolean;
}

/** Keep at most this much of an answer's body (a huge answer is not held in memory, once per request of a batch). */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** Why there was no answer: a documented network code (src/net-errors.ts), or `network` for anything else. */
export type FailureKind = NetworkErrorCode | 'network';

/** The request could not get an answer (nothing listening, timeout…); `code` is the kind, for `--json` errors. */
export class DeliveryError extends OperationError {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string, hint: string | undefined, cause: unknown) {
    super(message, { cause, code: kind, ...(hint === undefined ? {} : { hint }) });
    this.kind = kind;
  }
}

export interface SenderOptions {
  url: URL;
  timeoutMs: number;
  /** Keep-alive connections to open at most (the concurrency). */
  connections?: number;
}

/** Milliseconds from a fixed point, for durations (performance.now() without loading perf_hooks). */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** POSTs prepared events to one URL over a keep-alive connection pool. */
export class Sender {
  private constructor(
    private readonly options: SenderOptions,
    private readonly agent: HttpAgent,
    private readonly send: typeof httpRequest,
  ) {}

  /** A sender for options.url, with node:http or node:https as the URL asks. */
  static async open(options: SenderOptions): Promise<Sender> {
    const agentOptions = { keepAlive: true, maxSockets: options.connections ?? 1, keepAliveMsecs: 10_000 };
    const transport = options.url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    return new Sender(options, new transport.Agent(agentOptions), transport.request);
  }

  /** POST one event; `signal` (Ctrl-C) abandons it with a DeliveryError of kind 'interrupted'. */
  post(event: PreparedEvent, signal?: AbortSignal): Promise<Delivery> {
    const { url, timeoutMs } = this.options;
    const started = now();
    return new Promise<Delivery>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(signal?.aborted ? interrupted(url, now() - started, err) : describeFailure(err, url, timeoutMs, timedOut));
      };
      const onAbort = (): void => fail(new Error('interrupted'));
      const req = this.send(url, { method: 'POST', headers: { ...event.headers, 'content-length': String(event.body.length) }, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (size >= MAX_ANSWER_BYTES) {
            truncated = true;
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('the answer was cut short'), { code: 'ECONNRESET' }));
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          let buf = Buffer.concat(chunks);
          if (buf.length > MAX_ANSWER_BYTES) {
            buf = buf.subarray(0, MAX_ANSWER_BYTES);
            truncated = true;
          }
          const body = buf.toString('utf8');
          const status = res.statusCode ?? 0;
          resolve({
            status,
            ms: round(now() - started),
            body,
            ...(truncated ? { truncated } : {}),
            headers: flatten(res.headers),
            duplicate: isDuplicateAnswer(status, body),
          });
        });
      });
      // One deadline for the whole exchange (connect, answer, body).
      const timer = setTimeout(() => {
        timedOut = true;
        fail(Object.assign(new Error('timed out'), { code: 'TIMEOUT' }));
      }, timeoutMs);
      req.on('error', fail);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      req.end(event.body);
    });
  }

  async close(): Promise<void> {
    // destroy, not a graceful close: nothing waits for keep-alive sockets to time out.
    this.agent.destroy();
  }
}

function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function interrupted(url: URL, ms: number, cause: unknown): DeliveryError {
  return new DeliveryError('interrupted', `interrupted after ${formatMs(Math.round(ms))} without an answer from ${url.href}`, undefined, cause);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function describeFailure(err: unknown, url: URL, timeoutMs: number, timedOut: boolean): DeliveryError {
  const failure = networkFailure(err, { timedOut });
  const code = failure?.system ?? (err instanceof Error ? err.name : 'UNKNOWN');
  const where = url.href;
  switch (failure?.code) {
    case 'timeout':
      return new DeliveryError('timeout', `no answer from ${where} within ${formatMs(timeoutMs)}`, 'raise --timeout if the receiver is slow', err);
    case 'unreachable':
      return code === 'ECONNREFUSED'
        ? new DeliveryError('unreachable', `nothing is listening at ${where}`, 'start `etsyhook dev` or pass --to', err)
        : new DeliveryError('unreachable', `cannot reach ${url.host}: ${failure.reason}`, 'check --to and the network', err);
    case 'dns':
      return new DeliveryError('dns', `cannot resolve the host ${url.hostname}`, 'check --to', err);
    case 'reset':
      return new DeliveryError('reset', `the connection to ${where} was closed before an answer`, undefined, err);
    case 'tls':
      return isCertificateCode(code)
        ? new DeliveryError('tls', `the TLS certificate of ${url.host} is not trusted (${code})`, undefined, err)
        : new DeliveryError('tls', `TLS handshake with ${where} failed (${code})`, url.protocol === 'https:' ? 'is the receiver really serving https?' : undefined, err);
    case 'interrupted':
      return new DeliveryError('interrupted', `interrupted without an answer from ${where}`, undefined, err);
    case undefined: {
      const detail = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      return new DeliveryError('network', `request to ${where} failed: ${detail}`, undefined, err);
    }
  }
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  return `${+(ms / 60_000).toFixed(1)} min`;
}

/** One request of a batch: an answer, or the reason there was none. */
export type Outcome =
  | { id: string | undefined; status: number; ms: number; duplicate: boolean }
  | { id: string | undefined; error: DeliveryError; ms: number };

export interface BatchSummary {
  /** Requests that finished (all of them, unless interrupted). */
  count: number;
  /** Requests asked for (--count). */
  planned: number;
  concurrency: number;
  /** Answers per HTTP status, e.g. {"200": 98, "500": 2}. */
  /** Answers per HTTP code. */
  httpStatuses: Record<string, number>;
  /** 2xx answers saying the receiver already had the webhook-id: acknowledged, not taken again. */
  duplicates: number;
  /** Stopped by Ctrl-C before all were sent. */
  interrupted: boolean;
  /** Requests without an answer, per kind (refused, timeout…). */
  errors: Record<string, number>;
  /** Latency of answered requests, in ms. */
  ms: { p50: number; p99: number; max: number } | null;
  elapsedMs: number;
  /** Requests per second over the whole batch. */
  rate: number;
}

export interface BatchOptions {
  /** Called with the number of finished requests, at most every 50. */
  onProgress?: (done: number, outcomes: readonly Outcome[]) => void;
  /** Ctrl-C: no new requests, those in flight are abandoned; the outcomes so far are returned. */
  signal?: AbortSignal;
}

/** Send `count` distinct events (built by `make(i)`) with at most `concurrency` in flight. */
export async function sendBatch(
  sender: Sender,
  make: (index: number) => PreparedEvent,
  count: number,
  concurrency: number,
  options: BatchOptions = {},
): Promise<{ outcomes: Outcome[]; summary: BatchSummary }> {
  const { signal, onProgress } = options;
  const outcomes: Outcome[] = [];
  let next = 0;
  const started = now();
  const worker = async (): Promise<void> => {
    while (next < count && !signal?.aborted) {
      const i = next++;
      const event = make(i);
      const t0 = now();
      try {
        const d = await sender.post(event, signal);
        outcomes.push({ id: event.id, status: d.status, ms: d.ms, duplicate: d.duplicate });
      } catch (err) {
        if (!(err instanceof DeliveryError)) throw err;
        if (err.kind === 'interrupted') return; // abandoned, not an outcome
        outcomes.push({ id: event.id, error: err, ms: round(now() - t0) });
      }
      if (onProgress !== undefined && (outcomes.length % 50 === 0 || outcomes.length === count)) onProgress(outcomes.length, outcomes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const elapsedMs = round(now() - started);
  return { outcomes, summary: summarise(outcomes, concurrency, elapsedMs, { planned: count, interrupted: signal?.aborted ?? false }) };
}

export function summarise(
  outcomes: readonly Outcome[],
  concurrency: number,
  elapsedMs: number,
  run: { planned?: number; interrupted?: boolean } = {},
): BatchSummary {
  const httpStatuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const times: number[] = [];
  let duplicates = 0;
  for (const o of outcomes) {
    if ('status' in o) {
      httpStatuses[String(o.status)] = (httpStatuses[String(o.status)] ?? 0) + 1;
      if (o.duplicate) duplicates++;
      times.push(o.ms);
    } else {
      errors[o.error.kind] = (errors[o.error.kind] ?? 0) + 1;
    }
  }
  return {
    count: outcomes.length,
    planned: run.planned ?? outcomes.length,
    concurrency,
    httpStatuses,
    duplicates,
    interrupted: run.interrupted ?? false,
    errors,
    ms: latency(times),
    elapsedMs,
    rate: elapsedMs > 0 ? Math.round((outcomes.length / elapsedMs) * 1000 * 10) / 10 : 0,
  };
}

export { percentile } from './stats.js';
