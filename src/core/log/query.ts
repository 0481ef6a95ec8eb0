// Reading stored events: each received request assembled with its delivery attempts, newest first, filtered, and
// found by id prefix. The log is read backwards from its end, so a question about recent events reads only the tail
// of a large store, and lines a filter rules out are skipped before they are decoded.
import { OperationError } from '../../errors.js';
import { typeMatcher } from '../events/globs.js';
import type { DeliveryRecord, EventStatus, ReceivedRecord, StoreRecord, Verdict } from './records.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { checksumOk, chunksBackward, eachLineBackward, lineHead, lineTime, looksComplete, OUTCOME_BITS, outcomeBit, parseLine, typeMayMatch, statusValues } from './scan.js';

/** A received request and what happened to it since. */
export interface StoredEvent {
  record: ReceivedRecord;
  /** Delivery attempts, oldest first: all of them, or the newest MAX_ATTEMPTS_KEPT when there were more. */
  deliveries: DeliveryRecord[];
  /** How many attempts the log holds for this event (may exceed deliveries.length). */
  attempts: number;
  status: EventStatus;
}

export interface EventFilter {
  /** Globs such as `order.*`; empty matches every type. */
  types?: readonly string[];
  statuses?: readonly EventStatus[];
  /** Received at or after this time (ms since epoch). */
  since?: number;
  verdicts?: readonly Verdict[];
  /** Only requests carrying one of these webhook-ids (Etsy's id, shown in its portal and the app's logs). */
  webhookIds?: readonly string[];
}

export interface ScanOptions {
  /** Told once per unreadable line (a torn write after a crash, corruption). */
  onBadLine?: (offset: number, length: number) => void;
  /** Read the log only up to this byte offset (what was there when a command started). */
  end?: number;
  chunkSize?: number;
}

/** Attempts kept per event while scanning; more are counted, not kept (a replay loop can add thousands). */
export const MAX_ATTEMPTS_KEPT = 100;
/** Events whose attempts are held while the scan looks for the request they belong to; the oldest held go first. */
export const MAX_PENDING_EVENTS = 100_000;
/** The log is in arrival order only roughly (group commit, two receivers): read this far past a --since cut-off. */
const SINCE_SLACK_MS = 5 * 60_000;

/**
 * Does this attempt speak for the event's delivery? Its own dispatcher's attempts do, and so does a replay that went
 * where those go: on one of its routes, or to its own target (ownTarget). A replay anywhere else is recorded and
 * shown, and changes no status.
 */
export function countsForStatus(record: ReceivedRecord, d: DeliveryRecord, all: readonly DeliveryRecord[]): boolean {
  if (d.replay !== true || d.route !== undefined) return true;
  const own = ownTarget(record, all);
  return own === undefined || d.target === own;
}

/** Where an event's deliveries go outside routes: the recorded --forward-to, else where a worker or dev sent it,
 *  else (an event only stored) where it was first replayed. */
export function ownTarget(record: ReceivedRecord, all: readonly DeliveryRecord[]): string | undefined {
  if (record.forwardTo !== undefined) return record.forwardTo;
  const plain = all.filter((d) => d.route === undefined);
  return (plain.find((d) => d.replay !== true) ?? plain[0])?.target;
}

/**
 * An accepted event's status is where its last delivery stands (of the attempts that count: countsForStatus);
 * otherwise the receiver's verdict. With routes (attempts naming routes), each route stands where its own last
 * attempt does, and the event is dead if any route is dead, else failed if any failed, else delivered.
 */
export function eventStatus(record: ReceivedRecord, lastDelivery: DeliveryRecord | undefined, all?: readonly DeliveryRecord[]): EventStatus {
  if (record.status !== 'accepted' || lastDelivery === undefined) return record.status;
  const own = (all ?? [lastDelivery]).filter((d) => countsForStatus(record, d, all ?? [lastDelivery]));
  const last = own.at(-1);
  if (last === undefined) return record.status;
  if (last.route === undefined) return last.status;
  const latest = new Map<string, DeliveryRecord['status']>();
  for (const d of own) latest.set(d.route ?? '', d.status);
  const outcomes = [...latest.values()];
  return outcomes.includes('dead') ? 'dead' : outcomes.includes('failed') ? 'failed' : 'delivered';
}

/** Attempts grouped by route (in order of first attempt), for `events show`; one group '' when none names a route. */
export function attemptsByRoute(deliveries: readonly DeliveryRecord[]): Map<string, DeliveryRecord[]> {
  const groups = new Map<string, DeliveryRecord[]>();
  for (const d of deliveries) {
    const key = d.route ?? '';
    const g = groups.get(key);
    if (g) g.push(d);
    else groups.set(key, [d]);
  }
  return groups;
}

/** Where a delivery line is in the log: kept instead of its bytes, read again only if its event is wanted. */
interface HeldLine {
  offset: number;
  length: number;
}

interface Held {
  newestFirst: (HeldLine | DeliveryRecord)[];
  count: number;
  /**
   * What the newest intact attempt's outcome can be (OUTCOME_BITS), read from the bytes of every attempt held (a
   * damaged newest line gives way to the one before); -1 when unknown.
   */
  outcomes: number;
}

/** Delivery attempts seen (the scan runs backwards, so before their request), waiting for the request. Bounded. */
class PendingDeliveries {
  private readonly map = new Map<string, Held>();

  /** `outcomes` is asked only when `wantOutcomes`. */
  constructor(private readonly wantOutcomes: boolean) {}

  add(id: string, item: HeldLine | DeliveryRecord, outcome: () => number): void {
    let held = this.map.get(id);
    if (held === undefined) {
      if (this.map.size >= MAX_PENDING_EVENTS) {
        // Held the longest: most likely attempts whose request was cleared or lost.
        const oldest = this.map.keys().next();
        if (!oldest.done) this.map.delete(oldest.value);
      }
      held = { newestFirst: [], count: 0, outcomes: this.wantOutcomes ? 0 : -1 };
      this.map.set(id, held);
    }
    if (held.outcomes >= 0) {
      const bit = outcome();
      held.outcomes = bit === 0 ? -1 : held.outcomes | bit;
    }
    held.count++;
    if (held.newestFirst.length < MAX_ATTEMPTS_KEPT) held.newestFirst.push(item);
  }

  take(id: string): Held | undefined {
    const held = this.map.get(id);
    if (held !== undefined) this.map.delete(id);
    return held;
  }

}

interface AssembleOptions extends ScanOptions {
  /** A cheap test on an event id: false skips the request and its attempts without decoding them. */
  keepId?: (id: string) => boolean;
  /** Chunks of the log containing none of these byte strings hold nothing wanted (see chunksBackward). */
  skipUnless?: readonly Buffer[];
  /** A cheap test on a request's raw line: false skips it without decoding. Must never reject a line that matches. */
  mayMatch?: (bytes: Buffer, held: Held | undefined) => boolean;
  /** Stop once requests are older than this (ms since epoch). */
  stopBefore?: number;
  /** mayMatch looks at Held.newestOutcomes. */
  wantOutcomes?: boolean;
  /**
   * Every wanted request's line contains one needle of each group: in a chunk where a group has no hit, requests
   * are skipped with no further look (their attempts are still gathered, for requests in earlier chunks).
   */
  requestNeedles?: readonly (readonly Buffer[])[];
}

/** Every received request (that the cheap tests keep), newest first, with its delivery attempts attached. */
function* assemble(file: string, options: AssembleOptions): Generator<StoredEvent> {
  const pending = new PendingDeliveries(options.wantOutcomes ?? false);
  const { keepId, mayMatch, stopBefore, onBadLine } = options;
  const bad = (offset: number, length: number): void => onBadLine?.(offset, length);
  let fd: number | undefined; // for reading held attempts back
  const readBack = (h: HeldLine): Buffer => {
    fd ??= openSync(file, 'r');
    const buf = Buffer.allocUnsafe(h.length);
    readSync(fd, buf, 0, h.length, h.offset);
    return buf;
  };
  const found: StoredEvent[] = [];
  let stop = false;
  let chunkMayMatch = true;
  const needles = options.requestNeedles;

  const onLine = (buf: Buffer, base: number, s: number, e: number): boolean => {
    const bytes = buf.subarray(s, e);
    const offset = base + s;
    if (!looksComplete(bytes)) {
      bad(offset, bytes.length);
      return true;
    }
    const head = lineHead(bytes);
    let record: StoreRecord | undefined;
    let held: Held | undefined;
    if (head !== undefined) {
      if (head.kind === 'delivery') {
        if (keepId === undefined || keepId(head.id)) {
          // Only an intact attempt may count: a damaged line could claim any outcome, and filters trust it.
          if (!checksumOk(bytes)) {
            bad(offset, bytes.length);
            return true;
          }
          pending.add(head.id, { offset, length: bytes.length }, () => outcomeBit(bytes));
        }
        return true;
      }
      // Stopping is decided only on an intact line: a damaged one could claim any time.
      if (stopBefore !== undefined && lineTime(bytes, head) < stopBefore && parseLine(bytes) !== undefined) {
        stop = true;
        return false;
      }
      // The request comes before its attempts in the log: whatever happens to it, no more attempts will join.
      held = pending.take(head.id);
      if (!chunkMayMatch || (keepId !== undefined && !keepId(head.id)) || (mayMatch !== undefined && !mayMatch(bytes, held))) return true;
    }
    record = parseLine(bytes);
    if (record === undefined) {
      bad(offset, bytes.length);
      return true;
    }
    if (keepId !== undefined && !keepId(record.id)) return true;
    if (record.kind === 'delivery') {
      const outcome = record.status;
      pending.add(record.id, record, () => OUTCOME_BITS[outcome] ?? 0);
      return true;
    }
    if (stopBefore !== undefined && Date.parse(record.at) < stopBefore) {
      stop = true;
      return false;
    }
    if (head === undefined) held = pending.take(record.id);
    const deliveries: DeliveryRecord[] = [];
    let damaged = 0;
    if (held !== undefined) {
      for (let i = held.newestFirst.length - 1; i >= 0; i--) {
        const item = held.newestFirst[i]!;
        if ('kind' in item) {
          deliveries.push(item);
          continue;
        }
        const d = parseLine(readBack(item));
        if (d !== undefined && d.kind === 'delivery' && d.id === record.id) deliveries.push(d);
        else {
          bad(item.offset, item.length);
          damaged++;
        }
      }
    }
    const attempts = (held?.count ?? 0) - damaged;
    found.push({ record, deliveries, attempts, status: eventStatus(record, deliveries[deliveries.length - 1], deliveries) });
    return true;
  };

  try {
    const chunks = chunksBackward(file, {
      ...(options.end === undefined ? {} : { end: options.end }),
      ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
      ...(options.skipUnless === undefined ? {} : { skipUnless: options.skipUnless }),
    });
    for (const chunk of chunks) {
      chunkMayMatch = needles === undefined || needles.every((group) => group.some((n) => chunk.buf.indexOf(n, chunk.start) >= 0));
      eachLineBackward(chunk, (s, e) => onLine(chunk.buf, chunk.base, s, e));
      // Events are handed out a chunk at a time: the caller may stop after any of them.
      for (let i = 0; i < found.length; i++) yield found[i]!;
      found.length = 0;
      if (stop) return;
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const VERDICT_STATUSES: readonly EventStatus[] = ['rejected', 'duplicate', 'ignored'];

/** Could an event whose request is `bytes` (with these attempts held) have one of `statuses`? */
function statusMayMatch(bytes: Buffer, held: Held | undefined, statuses: readonly EventStatus[]): boolean {
  // If the verdict is accepted, the status is the newest attempt's outcome, or accepted when none counts (a replay
  // elsewhere does not): `held.outcomes` holds every attempt's, a superset.
  const ifAccepted = statuses.includes('accepted') || (held !== undefined && (held.outcomes < 0 || (held.outcomes & outcomeMask(statuses)) !== 0));
  // Otherwise it is the verdict: only worth reading the verdict when such a status is wanted.
  if (!statuses.some((st) => VERDICT_STATUSES.includes(st))) return ifAccepted;
  const verdicts = statusValues(bytes);
  if (verdicts === undefined) return true;
  return verdicts.some((v) => (v === 'accepted' ? ifAccepted : statuses.includes(v as EventStatus)));
}

function outcomeMask(statuses: readonly EventStatus[]): number {
  let mask = 0;
  for (const st of statuses) if (st === 'delivered' || st === 'failed' || st === 'dead') mask |= OUTCOME_BITS[st];
  return mask;
}

/** What every line of a request whose type passes one of `globs` contains: "type":" and the glob's literal start. */
function typeNeedles(globs: readonly string[]): Buffer[] | undefined {
  const needles: Buffer[] = [];
  for (const g of globs) {
    const literal = /^[^*?]*/.exec(g.trim())?.[0] ?? '';
    // JSON.stringify would escape these; keep it simple and do without needles.
    if (/["\\\u0000-\u001f\ud800-\udfff]/.test(literal)) return undefined;
    needles.push(Buffer.from(`"type":"${literal}`));
  }
  return needles;
}

/** Events matching `filter`, newest first. Stop early by breaking out of the loop. */
export function* queryEvents(file: string, filter: EventFilter = {}, options: ScanOptions = {}): Generator<StoredEvent> {
  const types = filter.types ?? [];
  const typeOk = typeMatcher(types);
  const statuses = filter.statuses ?? [];
  const verdicts = filter.verdicts ?? [];
  const since = filter.since;
  const webhookIds = filter.webhookIds ?? [];
  // Cheapest first: the status test often decides from the attempts alone, without reading the request's bytes.
  const tests: ((bytes: Buffer, held: Held | undefined) => boolean)[] = [];
  if (statuses.length > 0) tests.push((bytes, held) => statusMayMatch(bytes, held, statuses));
  if (types.length > 0) tests.push((bytes) => typeMayMatch(bytes, typeOk));
  const needles: Buffer[][] = [];
  const byType = types.length > 0 ? typeNeedles(types) : undefined;
  if (byType !== undefined) needles.push(byType);
  if (statuses.length > 0) {
    // Today's key, and the one records written before 0.2.0 used.
    const words = [...new Set(statuses.map((st) => (VERDICT_STATUSES.includes(st) ? st : 'accepted')))];
    needles.push(words.flatMap((v) => [Buffer.from(`"status":"${v}"`), Buffer.from(`"verdict":"${v}"`)]));
  }
  const events = assemble(file, {
    ...options,
    wantOutcomes: statuses.length > 0,
    ...(tests.length > 0 ? { mayMatch: (bytes: Buffer, held: Held | undefined) => tests.every((t) => t(bytes, held)) } : {}),
    ...(needles.length > 0 ? { requestNeedles: needles } : {}),
    ...(since === undefined ? {} : { stopBefore: since - SINCE_SLACK_MS }),
  });
  for (const ev of events) {
    const r = ev.record;
    if (since !== undefined && !(Date.parse(r.at) >= since)) continue;
    if (!typeOk(r.type)) continue;
    if (verdicts.length > 0 && !verdicts.includes(r.status)) continue;
    if (statuses.length > 0 && !statuses.includes(ev.status)) continue;
    if (webhookIds.length > 0 && !webhookIds.includes(r.webhookId ?? '')) continue;
    yield ev;
  }
}

/** How users name an event: its full id, a unique prefix of it, with or without `evt_`. */
export function normaliseRef(ref: string): string {
  const r = ref.trim();
  if (r.startsWith('evt_') || 'evt_'.startsWith(r)) return r;
  return `evt_${r}`;
}

export const FULL_ID_LENGTH = 'evt_'.length + 16;

export interface RefMatch {
  ref: string;
  /** The event, when exactly one matched (for a webhook-id received several times: the accepted one). */
  event: StoredEvent | undefined;
  /** How many events (or webhook-ids) matched. */
  count: number;
  /** Ids of the first few matches, newest first (for an "ambiguous" message). */
  candidates: string[];
  /** The ref named a webhook-id received more than once: the other records with it (duplicates), newest first. */
  others?: string[];
  /** What the ref matched: the store id, or the webhook-id. */
  by?: 'id' | 'webhook-id';
}

/** Records kept per ref while matching: enough for a webhook-id's duplicates and an ambiguity message. */
const MAX_HITS = 50;

/** Does `ref` look like a webhook-id (prefix) rather than only a store id? Anything not written as evt_…. */
function mayBeWebhookId(ref: string): boolean {
  const r = ref.trim();
  return r.length >= 3 && !r.startsWith('evt_') && !'evt_'.startsWith(r);
}

/**
 * The store ids of received records whose webhook-id starts with each of `prefixes`, newest first. Reads only the
 * chunks of the log that mention one of them.
 */
function idsByWebhookId(file: string, prefixes: readonly string[], options: ScanOptions): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>(prefixes.map((p) => [p, new Set<string>()]));
  if (prefixes.length === 0) return found;
  // The key as JSON writes it (escapes included), without the closing quote: a prefix of the value.
  const needles = prefixes.map((p) => Buffer.from(`"webhookId":${JSON.stringify(p).slice(0, -1)}`));
  const chunks = chunksBackward(file, { ...(options.end === undefined ? {} : { end: options.end }), skipUnless: needles });
  for (const chunk of chunks) {
    eachLineBackward(chunk, (start, end) => {
      const bytes = chunk.buf.subarray(start, end);
      if (!needles.some((n) => bytes.indexOf(n) >= 0)) return;
      const rec = parseLine(bytes);
      if (rec === undefined || rec.kind !== 'received' || rec.webhookId === undefined) return;
      for (const p of prefixes) if (rec.webhookId.startsWith(p)) found.get(p)!.add(rec.id);
    });
  }
  return found;
}

/**
 * Look events up by store id (evt_…) or webhook-id (msg_…, the id Etsy's portal and the app's logs show), or a
 * unique prefix of either. A webhook-id received several times (duplicates) names the accepted record; the others
 * are listed in `others`.
 */
export function findEvents(file: string, refs: readonly string[], options: ScanOptions = {}): RefMatch[] {
  const wanted = refs.map((ref) => ({ ref, prefix: normaliseRef(ref), webhook: mayBeWebhookId(ref) ? ref.trim() : undefined }));
  const byWebhook = idsByWebhookId(file, [...new Set(wanted.flatMap((w) => (w.webhook === undefined ? [] : [w.webhook])))], options);
  const viaWebhook = new Set<string>();
  for (const ids of byWebhook.values()) for (const id of ids) viaWebhook.add(id);
  const hits: StoredEvent[][] = refs.map(() => []);
  const counts = refs.map(() => 0);
  // Every event that matches counts, not only the MAX_HITS kept: "(92 in all)" must say 92.
  const distinct: Set<string>[] = refs.map(() => new Set());
  const keepId = (id: string): boolean => viaWebhook.has(id) || wanted.some((w) => id.startsWith(w.prefix));
  // Full ids are unique, and the webhook-ids' records are known: once each is found, the rest need not be read.
  const allFull = wanted.every((w) => w.prefix.length >= FULL_ID_LENGTH || w.webhook !== undefined);
  let webhookLeft = viaWebhook.size;
  // A chunk of the log that mentions none of the ids holds neither the events nor their attempts.
  const skipUnless = [...wanted.map((w) => Buffer.from(`"id":"${w.prefix}`)), ...[...viaWebhook].map((id) => Buffer.from(`"id":"${id}"`))];
  for (const ev of assemble(file, { ...options, keepId, skipUnless })) {
    if (viaWebhook.has(ev.record.id)) webhookLeft--;
    wanted.forEach((w, i) => {
      const byId = ev.record.id.startsWith(w.prefix);
      const byWh = w.webhook !== undefined && byWebhook.get(w.webhook)!.has(ev.record.id);
      if (!byId && !byWh) return;
      counts[i]!++;
      distinct[i]!.add(eventKey(ev, w.webhook));
      if (hits[i]!.length < MAX_HITS) hits[i]!.push(ev);
    });
    if (allFull && webhookLeft <= 0 && wanted.every((w, i) => w.webhook !== undefined || counts[i]! > 0)) break;
  }
  return wanted.map((w, i) => resolveHits(w.ref, w.webhook, hits[i]!, distinct[i]!.size));
}

/** What counts as one event for a reference: the records of one webhook-id (duplicates) are one, else one per id. */
function eventKey(ev: StoredEvent, webhook: string | undefined): string {
  return webhook !== undefined && ev.record.webhookId?.startsWith(webhook) ? `wh:${ev.record.webhookId}` : `id:${ev.record.id}`;
}

/** One event per id; the records of one webhook-id count as one, represented by the accepted record. */
function resolveHits(ref: string, webhook: string | undefined, hits: StoredEvent[], count: number): RefMatch {
  const groups = new Map<string, StoredEvent[]>();
  for (const ev of hits) {
    const k = eventKey(ev, webhook);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [ev]);
    else g.push(ev);
  }
  const candidates = hits.slice(0, 5).map((ev) => ev.record.id);
  if (groups.size !== 1 || count !== 1) return { ref, event: undefined, count, candidates };
  const [k, group] = [...groups][0]!;
  const chosen = group.find((ev) => ev.record.status === 'accepted') ?? group[0]!;
  const others = group.filter((ev) => ev !== chosen).map((ev) => ev.record.id);
  return {
    ref,
    event: chosen,
    count: 1,
    candidates,
    by: k.startsWith('wh:') ? 'webhook-id' : 'id',
    ...(others.length > 0 ? { others } : {}),
  };
}

/** The one event `ref` names; OperationError naming the candidates when there are none or several. */
export function resolveRef(m: RefMatch): StoredEvent {
  if (m.event !== undefined) return m.event;
  if (m.count === 0) {
    throw new OperationError(`no stored event matches '${m.ref}' (as an id or a webhook-id)`, { hint: 'see the ids with `etsyhook events list`' });
  }
  const more = m.count > m.candidates.length ? `, … (${m.count} in all)` : '';
  throw new OperationError(`'${m.ref}' is ambiguous: it matches ${m.candidates.join(', ')}${more}`, {
    hint: 'type more of the id',
  });
}
