// The record schema: a received request, or a delivery attempt of one, as every sink keeps it and every reader
// gets it back. The lowest layer of the core: the receiver builds records, the stores keep them, readers show them.
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';

/** The two ways Etsy signs a delivery: Standard Webhooks (webhook-id/-timestamp/-signature) or X-Etsy-Signature. */
export type Scheme = 'standard' | 'legacy';
export const SCHEMES: readonly Scheme[] = ['standard', 'legacy'];

/** What the receiver decided about a request. */
export type Verdict = 'accepted' | 'rejected' | 'duplicate' | 'ignored';

/** How a request ended, as the receiver's log says it: its verdict, or `unstored` when it was answered 503 because
 *  the store could not keep it (such a request is in no store: only logs and metrics name it). */
export type RequestOutcome = Verdict | 'unstored';

/** How one delivery attempt ended: delivered (2xx), failed (will be retried, or a one-off replay failed), dead (gave up). */
export type DeliveryOutcome = 'delivered' | 'failed' | 'dead';

/**
 * An event's status, the one word users filter on: the receiver's verdict, or for an accepted event, where its
 * delivery stands (`pending` while an attempt is still to come).
 */
export type EventStatus = RequestOutcome | 'pending' | DeliveryOutcome;
export const EVENT_STATUSES: readonly EventStatus[] = ['accepted', 'rejected', 'duplicate', 'ignored', 'unstored', 'pending', 'delivered', 'failed', 'dead'];

export interface ReceivedRecord {
  kind: 'received';
  /** Store id, `evt_…`; unique across receivers sharing a store. */
  id: string;
  /** ISO 8601 */
  at: string;
  method: string;
  path: string;
  /** Header names lower-case, as received. */
  headers: Record<string, string>;
  /** The exact body, when it is valid UTF-8 … */
  body?: string;
  /** … otherwise base64 of the exact bytes. */
  body64?: string;
  /** The receiver's verdict. */
  status: Verdict;
  /** The HTTP status the receiver answered (records written before it was kept have none). */
  httpStatus?: number;
  reason?: string;
  type?: string;
  webhookId?: string;
  scheme?: Scheme;
  remote?: string;
  /** Where the receiver was forwarding when this arrived (replay's default target). */
  forwardTo?: string;
  /** The routes (labels, secrets masked) an accepted event was dispatched to, when dev ran with routes. */
  routes?: string[];
}

export interface DeliveryRecord {
  kind: 'delivery';
  /** The store id of the event delivered. */
  id: string;
  at: string;
  /** Where it was sent (a URL, `exec:…`; secrets masked). */
  target: string;
  /** The route this attempt belongs to (`GLOB=TARGET`, secrets masked), when routes are in use. */
  route?: string;
  attempt: number;
  /** delivered: 2xx; failed: will be retried (or was a one-off replay that failed); dead: gave up. */
  status: DeliveryOutcome;
  /** The target's HTTP status, when it answered. */
  httpStatus?: number;
  ms?: number;
  /** Why there is no HTTP status (refused, timed out…), or what the handler said. */
  error?: string;
  /** Set when the attempt came from `etsyhook replay`. */
  replay?: boolean;
  /** The target did not answer and deliveries were held: this try used none of the event's attempts (the next try carries the same number). */
  held?: boolean;
  /** What the target answered. */
  response?: AttemptResponse;
}

/** The target's answer to a delivery attempt: headers and the start of the body. */
export interface AttemptResponse {
  headers?: Record<string, string>;
  body: string;
  /** The body was longer than what is kept. */
  truncated?: boolean;
}

export type StoreRecord = ReceivedRecord | DeliveryRecord;

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random store id: random from the first character, so short prefixes are unique. */
export function newEventId(): string {
  // One randomBytes call per 256 ids: a synchronous call per event showed up in the receiver's profile.
  if (poolOffset + 16 > idPool.length) {
    idPool = randomBytes(4096);
    poolOffset = 0;
  }
  let s = 'evt_';
  for (let i = poolOffset; i < poolOffset + 16; i++) s += ID_ALPHABET[idPool[i]! % 36];
  poolOffset += 16;
  return s;
}
let idPool = Buffer.alloc(0);
let poolOffset = 0;

/** The exact body bytes of a received record. */
export function bodyBytes(rec: ReceivedRecord): Buffer {
  if (rec.body64 !== undefined) return Buffer.from(rec.body64, 'base64');
  return Buffer.from(rec.body ?? '', 'utf8');
}

/** Store a body as text when it round-trips exactly as UTF-8, else as base64. */
export function encodeBody(bytes: Buffer): { body: string } | { body64: string } {
  if (isUtf8(bytes)) return { body: bytes.toString('utf8') };
  return { body64: bytes.toString('base64') };
}

/** `new Date().toISOString()`, computed once per millisecond (the receiver stamps many records per millisecond). */
export function isoNow(): string {
  const now = Date.now();
  if (now !== isoAt) {
    isoAt = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}
let isoAt = 0;
let isoText = '';
