// Build, sign and POST test events. No terminal I/O and no process.exit: every function returns data or throws.
import { performance } from 'node:perf_hooks';
import { Agent, request, type Dispatcher } from 'undici';
import { OperationError } from '../../errors.js';
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
  body: string;
}

export type FailureKind = 'refused' | 'timeout' | 'dns' | 'reset' | 'other';

/** The request could not get an answer (nothing listening, timeout…). */
export class DeliveryError extends OperationError {
  readonly kind: FailureKind;
  override readonly code: string;
  constructor(kind: FailureKind, code: string, message: string, hint: string | undefined, cause: unknown) {
    super(message, { cause, ...(hint === undefined ? {} : { hint }) });
    this.kind = kind;
    this.code = code;
  }
}

export interface SenderOptions {
  url: URL;
  timeoutMs: number;
  /** Keep-alive connections to open at most (the concurrency). */
  connections?: number;
  /** Tests may inject their own undici dispatcher. */
  dispatcher?: Dispatcher;
}

/** POSTs prepared events to one URL over a keep-alive connection pool. */
export class Sender {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  constructor(private readonly options: SenderOptions) {
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connections: options.connections ?? 1,
        keepAliveTimeout: 10_000,
        connect: { timeout: options.timeoutMs },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
  }

  async post(event: PreparedEvent): Promise<Delivery> {
    const { url, timeoutMs } = this.options;
    const started = performance.now();
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await request(url, { method: 'POST', headers: event.headers, body: event.body, dispatcher: this.dispatcher, signal });
      const body = await res.body.text();
      return { status: res.statusCode, ms: round(performance.now() - started), body };
    } catch (err) {
      throw describeFailure(err, url, timeoutMs, signal.aborted);
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function errorCode(err: unknown): string {
  let e: unknown = err;
  // undici wraps system errors; the code that says what happened is on the innermost cause.
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code: unknown = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '' && !code.startsWith('UND_ERR_ABORT')) return code;
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    else e = e.cause;
  }
  return err instanceof Error ? err.name : 'UNKNOWN';
}

export function describeFailure(err: unknown, url: URL, timeoutMs: number, timedOut: boolean): DeliveryError {
  const code = errorCode(err);
  const where = url.href;
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new DeliveryError('timeout', 'TIMEOUT', `no answer from ${where} within ${formatMs(timeoutMs)}`, 'raise --timeout if the receiver is slow', err);
  }
  if (code === 'ECONNREFUSED') {
    return new DeliveryError('refused', code, `nothing is listening at ${where}`, 'start `etsyhook dev` or pass --to', err);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new DeliveryError('dns', code, `cannot resolve the host ${url.hostname}`, 'check --to', err);
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return new DeliveryError('reset', code, `the connection to ${where} was closed before an answer`, undefined, err);
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') {
    return new DeliveryError('other', code, `TLS handshake with ${where} failed (${code})`, url.protocol === 'https:' ? 'is the receiver really serving https?' : undefined, err);
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return new DeliveryError('other', code, `the TLS certificate of ${url.host} is not trusted (${code})`, undefined, err);
  }
  const detail = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  return new DeliveryError('other', code, `request to ${where} failed: ${detail}`, undefined, err);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** One request of a batch: an answer, or the reason there was none. */
export type Outcome = { id: string | undefined; status: number; ms: number } | { id: string | undefined; error: DeliveryError; ms: number };

export interface BatchSummary {
  count: number;
  concurrency: number;
  /** Answers per HTTP status, e.g. {"200": 98, "500": 2}. */
  statuses: Record<string, number>;
  /** Requests without an answer, per kind (refused, timeout…). */
  errors: Record<string, number>;
  /** Latency of answered requests, in ms. */
  ms: { p50: number; p99: number; max: number } | null;
  elapsedMs: number;
  /** Requests per second over the whole batch. */
  rate: number;
}

/** Send `count` distinct events (built by `make(i)`) with at most `concurrency` in flight. */
export async function sendBatch(
  sender: Sender,
  make: (index: number) => PreparedEvent,
  count: number,
  concurrency: number,
  onProgress?: (done: number) => void,
): Promise<{ outcomes: Outcome[]; summary: BatchSummary }> {
  const outcomes: Outcome[] = new Array<Outcome>(count);
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const event = make(i);
      const t0 = performance.now();
      try {
        const d = await sender.post(event);
        outcomes[i] = { id: event.id, status: d.status, ms: d.ms };
      } catch (err) {
        if (!(err instanceof DeliveryError)) throw err;
        outcomes[i] = { id: event.id, error: err, ms: round(performance.now() - t0) };
      }
      done++;
      if (onProgress !== undefined && (done % 50 === 0 || done === count)) onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const elapsedMs = round(performance.now() - started);
  return { outcomes, summary: summarise(outcomes, concurrency, elapsedMs) };
}

export function summarise(outcomes: readonly Outcome[], concurrency: number, elapsedMs: number): BatchSummary {
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const times: number[] = [];
  for (const o of outcomes) {
    if ('status' in o) {
      statuses[String(o.status)] = (statuses[String(o.status)] ?? 0) + 1;
      times.push(o.ms);
    } else {
      errors[o.error.kind] = (errors[o.error.kind] ?? 0) + 1;
    }
  }
  times.sort((a, b) => a - b);
  return {
    count: outcomes.length,
    concurrency,
    statuses,
    errors,
    ms: times.length === 0 ? null : { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times[times.length - 1]! },
    elapsedMs,
    rate: elapsedMs > 0 ? Math.round((outcomes.length / elapsedMs) * 1000 * 10) / 10 : 0,
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}
