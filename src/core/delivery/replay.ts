// Send stored events again: byte-exact (the original body and headers), or re-signed with a fresh timestamp.
// Every attempt is recorded in the store as a delivery with `replay: true`. No terminal I/O: results go to callbacks.
import { performance } from 'node:perf_hooks';
import { isDuplicateAnswer } from './answer.js';
import type { DeliveryResult } from './attempt.js';
import type { DeliverOptions } from './http.js';
import { latency } from './stats.js';
import { countsForStatus, type StoredEvent } from '../log/query.js';
import { bodyBytes, type DeliveryRecord, type ReceivedRecord } from '../log/records.js';
import { detectScheme, newWebhookId, signatureHeaders, type Scheme } from '../receive/signature.js';
import type { EventSink } from '../log/sink.js';
import { attemptRecord, delivered, type AttemptResult, type SendAttempt } from './attempt.js';
import type { Route } from './routes.js';
import { routeSender } from './targets.js';

import { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_LOCAL_TARGET } from '../defaults.js';


/** The part of Deliverer that replay needs (tests may pass their own). */
export interface Sender {
  send(target: string, headers: Record<string, string>, body: Buffer, options?: DeliverOptions): Promise<DeliveryResult>;
}

export interface Resign {
  secret: string;
  /** Sign with this scheme instead of the one the event arrived with. */
  scheme?: Scheme;
  /** A fresh webhook-id instead of the original (the receiver's dedup would otherwise drop the replay). */
  newId?: boolean;
}

export interface ReplayRequest {
  event: StoredEvent;
  target: string;
  headers: Record<string, string>;
  body: Buffer;
  /** webhook-id sent, if any. */
  webhookId: string | undefined;
  scheme: Scheme | undefined;
  resigned: boolean;
  /** Sent by this route (its target, its attempt count) instead of to `target` alone. */
  route?: Route;
  /** The attempt number to record; default one more than the event's attempts. */
  attempt?: number;
}

const SIGNATURE_HEADERS = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-etsy-signature', 'x-etsy-timestamp']);

/** Where an event goes: --to, else where the receiver was forwarding it, else the default local app. */
export function replayTarget(record: ReceivedRecord, to: string | undefined): string {
  return to ?? record.forwardTo ?? DEFAULT_LOCAL_TARGET;
}

/** The exact request to send for `event`. */
export function buildReplayRequest(event: StoredEvent, target: string, resign: Resign | undefined, nowSeconds: number): ReplayRequest {
  const r = event.record;
  const body = bodyBytes(r);
  const original = r.scheme ?? detectScheme(r.headers);
  if (resign === undefined) {
    return { event, target, headers: { ...r.headers }, body, webhookId: r.headers['webhook-id'], scheme: original, resigned: false };
  }
  const scheme = resign.scheme ?? original ?? 'standard';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers)) {
    if (!SIGNATURE_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  const webhookId = scheme === 'standard' ? (resign.newId ? newWebhookId() : (r.headers['webhook-id'] ?? r.webhookId ?? newWebhookId())) : undefined;
  const signed = signatureHeaders(scheme, resign.secret, body, { timestamp: nowSeconds, ...(webhookId === undefined ? {} : { id: webhookId }) });
  for (const [name, value] of Object.entries(signed)) headers[name.toLowerCase()] = value;
  return { event, target, headers, body, webhookId, scheme, resigned: true };
}

/** Seconds since the signature timestamp the event carries (undefined when unsigned): a receiver rejects > 300. */
export function signatureAge(record: ReceivedRecord, nowSeconds: number): number | undefined {
  const raw = record.headers['webhook-timestamp'] ?? record.headers['x-etsy-timestamp'];
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined;
  return nowSeconds - Number(raw.trim());
}

export interface ReplayResult {
  request: ReplayRequest;
  record: DeliveryRecord;
}

export interface ReplaySummary {
  /** Replays that finished (all of them, unless interrupted). */
  count: number;
  /** Replays asked for. */
  planned: number;
  /** 2xx answers, duplicates not included. */
  delivered: number;
  /** 2xx answers saying the receiver already had the webhook-id (`{"status":"duplicate"}`): not taken again. */
  duplicates: number;
  failed: number;
  /** Answers per HTTP status. */
  statuses: Record<string, number>;
  /** Times of answered replays, ms. */
  ms: { p50: number; p99: number; max: number } | null;
  /** Stopped by Ctrl-C before all were sent. */
  interrupted: boolean;
  /** Failures per reason: 'HTTP 500', 'connection refused' … */
  reasons: Record<string, number>;
  /** Replays sent elsewhere than where the event's own deliveries go: recorded, and its status unchanged. */
  elsewhere: number;
  elapsedMs: number;
  /** A store append that failed (the replays still happened). */
  storeError: Error | undefined;
}

export interface ReplayOptions {
  sender: Sender;
  sink: Pick<EventSink, 'attempt'>;
  concurrency: number;
  timeoutMs?: number;
  insecure?: boolean;
  onResult?: (result: ReplayResult) => void;
  /** Ctrl-C: no new replays; those in flight are abandoned (not recorded: the event stays as it was). */
  signal?: AbortSignal;
}

/** Marks a replayed request, beside the forwarded headers (x-forwarded-for, x-etsyhook-attempt). */
export const REPLAY_HEADER = 'x-etsyhook-replay';

/** What forwarding adds to a request, plus the replay mark: the app sees a replay as it sees a forwarded event. */
export function replayExtraHeaders(record: ReceivedRecord): Record<string, string> {
  const extra: Record<string, string> = {};
  if (record.remote !== undefined) {
    const before = record.headers['x-forwarded-for'];
    extra['x-forwarded-for'] = before ? `${before}, ${record.remote}` : record.remote;
  }
  extra[REPLAY_HEADER] = '1';
  return extra;
}

/** The requests to send, built one at a time as they are sent (a large replay holds no request bodies in advance). */
export interface ReplaySource {
  length: number;
  at(index: number): ReplayRequest;
}

/** A summary before anything is sent: what `replay --json` prints when there is nothing to replay. */
export function emptyReplaySummary(planned = 0): ReplaySummary {
  return { count: 0, planned, delivered: 0, duplicates: 0, failed: 0, statuses: {}, ms: null, interrupted: false, reasons: {}, elsewhere: 0, elapsedMs: 0, storeError: undefined };
}

/** Send every request, at most `concurrency` at a time, recording each attempt; oldest first as given. */
export async function replayEvents(requests: ReplaySource, options: ReplayOptions): Promise<ReplaySummary> {
  const summary = emptyReplaySummary(requests.length);
  const times: number[] = [];
  const signal = options.signal;
  const started = performance.now();
  const appends = new Set<Promise<void>>();
  let next = 0;
  // exec:, slack: and pushover: routes send their own way (http routes are byte-exact, as any replay).
  const senders = new Map<string, SendAttempt | undefined>();
  const routeSend = (route: Route): SendAttempt | undefined => {
    if (!senders.has(route.label)) senders.set(route.label, routeSender(route, options.sender, route.timeoutMs ?? options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS));
    return senders.get(route.label);
  };
  const deliverOptions: DeliverOptions = {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.insecure === undefined ? {} : { insecure: options.insecure }),
    ...(signal === undefined ? {} : { signal }),
  };
  const worker = async (): Promise<void> => {
    while (next < requests.length && !signal?.aborted) {
      const request = requests.at(next++);
      const attempt = request.attempt ?? request.event.attempts + 1;
      const send = request.route === undefined ? undefined : routeSend(request.route);
      const result: AttemptResult = send
        ? await send(request.event.record, request.body, attempt)
        : await options.sender.send(request.target, request.headers, request.body, {
            ...deliverOptions,
            attempt,
            extraHeaders: replayExtraHeaders(request.event.record),
          });
      if (signal?.aborted) return; // abandoned by Ctrl-C: not an attempt the app answered
      const ok = delivered(result);
      const record = attemptRecord(
        { id: request.event.record.id, target: request.route?.targetLabel ?? request.target, route: request.route?.label, attempt, status: ok ? 'delivered' : 'failed', replay: true },
        result,
      );
      summary.count++;
      if (!countsForStatus(request.event.record, record, request.event.deliveries)) summary.elsewhere++;
      if (result.status !== undefined) {
        summary.statuses[String(result.status)] = (summary.statuses[String(result.status)] ?? 0) + 1;
        times.push(result.ms);
      }
      if (ok && isDuplicateAnswer(result.status, result.response?.body)) summary.duplicates++;
      else if (ok) summary.delivered++;
      else {
        summary.failed++;
        const reason = result.status !== undefined ? `HTTP ${result.status}` : (result.error ?? 'no answer');
        summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1;
      }
      // Not awaited here, and lazily synced (within 100 ms, and when the store closes): a replay of thousands is not
      // thousands of syncs.
      const appended: Promise<void> = options.sink
        .attempt(record)
        .catch((err: unknown) => {
          summary.storeError ??= err instanceof Error ? err : new Error(String(err));
        })
        .finally(() => appends.delete(appended));
      appends.add(appended);
      options.onResult?.({ request, record });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, requests.length)) }, worker));
  await Promise.all([...appends]);
  summary.elapsedMs = Math.round(performance.now() - started);
  summary.ms = latency(times);
  summary.interrupted = signal?.aborted === true && summary.count < summary.planned;
  return summary;
}
