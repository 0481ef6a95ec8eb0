// The one JSON presenter: every `--json` output, the inspector's API and the Redis layout give a record the same
// field names. `status` is always an outcome word, `httpStatus` always the HTTP code (see the README's schema table).
import type { StoredEvent } from '../core/log/query.js';
import type { AttemptResponse, DeliveryRecord, EventStatus, ReceivedRecord, RequestOutcome, Verdict } from '../core/log/records.js';

/** A received request, as a line of `dev --json`, `tail --json`, `serve`. */
export interface ReceivedJson {
  kind: 'received';
  id: string;
  at: string;
  webhookId: string | null;
  type: string | null;
  /** The receiver's verdict. */
  status: Verdict;
  /** The HTTP status answered; null in records from before it was kept. */
  httpStatus: number | null;
  reason: string | null;
  scheme: string | null;
  method: string;
  path: string;
}

/** A delivery attempt, as a line of `dev --json`, `tail --json`, `replay --json`, `worker`, and in `deliveries`. */
export interface AttemptJson {
  kind: 'delivery';
  /** The event's id. */
  id: string;
  at: string;
  webhookId: string | null;
  type: string | null;
  status: DeliveryRecord['status'];
  /** The target's HTTP status; null when it did not answer (see error). */
  httpStatus: number | null;
  target: string;
  route: string | null;
  attempt: number;
  ms: number | null;
  error: string | null;
  replay: boolean;
  response: AttemptResponse | null;
}

/** An event with its attempts: `events list --json`, `events show --json`, the inspector's /api/events. */
export interface EventJson {
  kind: 'event';
  id: string;
  at: string;
  webhookId: string | null;
  type: string | null;
  /** Where the event stands: the verdict, or for an accepted event the newest attempt's status. */
  status: EventStatus;
  /** The receiver's verdict (the request's own status). */
  verdict: Verdict;
  httpStatus: number | null;
  reason: string | null;
  scheme: string | null;
  method: string;
  path: string;
  forwardTo: string | null;
  /** The routes the event was dispatched to (`GLOB=TARGET`, secrets masked); null without routes. */
  routes: string[] | null;
  size: number;
  attempts: number;
  deliveries: AttemptJson[];
}

export function receivedJson(r: ReceivedRecord): ReceivedJson {
  return {
    kind: 'received',
    id: r.id,
    at: r.at,
    webhookId: r.webhookId ?? null,
    type: r.type ?? null,
    status: r.status,
    httpStatus: r.httpStatus ?? null,
    reason: r.reason ?? null,
    scheme: r.scheme ?? null,
    method: r.method,
    path: r.path,
  };
}

/** A line of `dev --json` and `serve` for a request answered: receivedJson's fields with what the answer was. */
export interface ReceivedLineJson extends Omit<ReceivedJson, 'status'> {
  /** The outcome word: the verdict, or `unstored` (answered 503: the store could not keep it). */
  status: RequestOutcome;
  /** False when the store could not keep it (the answer was then a 503). */
  stored: boolean;
  /** Milliseconds from the request's arrival to the answer, to 0.1. */
  ms: number;
}

/**
 * receivedJson(r) with the answer's HTTP status and reason, then `stored` and `ms`, built as one object literal:
 * serve writes one per request, and the spread form (`{...receivedJson(r), …}`) cost ~5 µs of the ~1 this does.
 */
export function receivedLineJson(r: ReceivedRecord, answer: { outcome: RequestOutcome; httpStatus: number; reason: string | null; stored: boolean; ms: number }): ReceivedLineJson {
  return {
    kind: 'received',
    id: r.id,
    at: r.at,
    webhookId: r.webhookId ?? null,
    type: r.type ?? null,
    status: answer.outcome,
    httpStatus: answer.httpStatus,
    reason: answer.reason,
    scheme: r.scheme ?? null,
    method: r.method,
    path: r.path,
    stored: answer.stored,
    ms: Math.round(answer.ms * 10) / 10,
  };
}

/** `event` (or its type and webhook-id) fills in what the attempt record does not repeat. */
export function attemptJson(d: DeliveryRecord, event?: { type?: string | undefined; webhookId?: string | undefined }): AttemptJson {
  return {
    kind: 'delivery',
    id: d.id,
    at: d.at,
    webhookId: event?.webhookId ?? null,
    type: event?.type ?? null,
    status: d.status,
    httpStatus: d.httpStatus ?? null,
    target: d.target,
    route: d.route ?? null,
    attempt: d.attempt,
    ms: d.ms ?? null,
    error: d.error ?? null,
    replay: d.replay ?? false,
    response: d.response ?? null,
  };
}

export function eventJson(ev: StoredEvent): EventJson {
  const r = ev.record;
  return {
    ...receivedJson(r),
    kind: 'event',
    status: ev.status,
    verdict: r.status,
    forwardTo: r.forwardTo ?? null,
    routes: r.routes ?? null,
    size: r.body64 !== undefined ? Buffer.from(r.body64, 'base64').length : Buffer.byteLength(r.body ?? '', 'utf8'),
    attempts: ev.attempts,
    deliveries: ev.deliveries.map((d) => attemptJson(d, r)),
  };
}
