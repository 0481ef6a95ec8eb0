// Reading the history stream back as the file store is read: events assembled with their delivery attempts, newest
// first, filtered the same way; found by id prefix; and followed live (tail).
import { typeMatcher } from '../events/globs.js';
import type { DeliveryRecord, ReceivedRecord, StoreRecord } from '../log/records.js';
import { eventStatus, MAX_ATTEMPTS_KEPT, normaliseRef, type EventFilter, type RefMatch, type StoredEvent } from '../log/query.js';
import { command, KEYS, type RedisClient } from './connection.js';
import { keepLast, type TailFilter } from '../log/follower.js';

const BATCH = 1_000;
/** Receivers' clocks and the stream's ids differ a little: read this far past a --since cut-off. */
const SINCE_SLACK_MS = 60_000;

function parseEntry(raw: unknown): { id: string; record: StoreRecord | undefined } {
  const [id, fields] = raw as [string, string[] | null];
  if (!Array.isArray(fields)) return { id: String(id), record: undefined };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (String(fields[i]) !== 'r') continue;
    try {
      const r = JSON.parse(String(fields[i + 1])) as StoreRecord;
      if (r && (r.kind === 'received' || r.kind === 'delivery') && typeof r.id === 'string') return { id: String(id), record: r };
    } catch {
      break;
    }
  }
  return { id: String(id), record: undefined };
}

/** The history, newest first, from `end` (a stream id; default the newest) back to `startMs`. */
export async function* historyBackward(client: RedisClient, options: { end?: string; startMs?: number } = {}): AsyncGenerator<StoreRecord> {
  for await (const { record } of historyEntriesBackward(client, options)) yield record;
}

/** As historyBackward, with each record's stream id (a cursor to page from). */
export async function* historyEntriesBackward(client: RedisClient, options: { end?: string; startMs?: number } = {}): AsyncGenerator<{ streamId: string; record: StoreRecord }> {
  let end = options.end ?? '+';
  const start = options.startMs === undefined ? '-' : String(Math.max(0, options.startMs));
  for (;;) {
    const batch = await command<unknown[]>(client, ['XREVRANGE', KEYS.history, end, start, 'COUNT', String(BATCH)], 30_000);
    for (const raw of batch) {
      const { id, record } = parseEntry(raw);
      if (record !== undefined) yield { streamId: id, record };
    }
    if (batch.length < BATCH) return;
    end = `(${parseEntry(batch[batch.length - 1]).id}`;
  }
}

/** Entries read back first to learn the types of recent events (attempt records carry none), as the file's tail does. */
const TYPES_SEED = 10_000;

/**
 * The last `n` records up to stream id `end` that `filter` accepts, oldest first (`tail --last N --queue`): read
 * backwards from there, after learning the types of the recent events so attempts can be filtered by type.
 */
export async function lastHistoryRecords(client: RedisClient, end: string, n: number, filter: TailFilter): Promise<StoreRecord[]> {
  const found: StoreRecord[] = [];
  if (n <= 0 || end === '0-0') return found;
  const seed: ReceivedRecord[] = [];
  let read = 0;
  for await (const { record } of historyEntriesBackward(client, { end })) {
    if (record.kind === 'received') seed.push(record);
    if (++read >= TYPES_SEED) break;
  }
  for (let i = seed.length - 1; i >= 0; i--) filter.remember(seed[i]!);
  for await (const { record } of historyEntriesBackward(client, { end })) {
    if (keepLast(found, record, filter, n)) break;
  }
  return found.reverse();
}

/** Is stream id `a` older than `b`? (`ms-seq`, compared as numbers.) */
export function streamIdBefore(a: string, b: string): boolean {
  const [am = 0n, as = 0n] = a.split('-').map((p) => BigInt(p));
  const [bm = 0n, bs = 0n] = b.split('-').map((p) => BigInt(p));
  return am < bm || (am === bm && as < bs);
}

/** The newest entry's id, so a command reads what was there when it started (and tail follows from there). */
export async function lastHistoryId(client: RedisClient): Promise<string> {
  const r = await command<unknown[]>(client, ['XREVRANGE', KEYS.history, '+', '-', 'COUNT', '1']);
  return r.length === 0 ? '0-0' : parseEntry(r[0]).id;
}

/** Events newest first, with their attempts, filtered as `events list` filters the file store. */
export async function* queryQueueEvents(client: RedisClient, filter: EventFilter = {}, options: { keepId?: (id: string) => boolean } = {}): AsyncGenerator<StoredEvent> {
  for await (const { event } of queryQueueEntries(client, filter, options)) yield event;
}

/**
 * As queryQueueEvents, with the stream id of each event's received record; with `before`, only events older than
 * that stream id (their later attempts still counted): a page after the one that ended there.
 */
export async function* queryQueueEntries(
  client: RedisClient,
  filter: EventFilter = {},
  options: { keepId?: (id: string) => boolean; before?: string } = {},
): AsyncGenerator<{ streamId: string; event: StoredEvent }> {
  const matchType = filter.types && filter.types.length > 0 ? typeMatcher(filter.types) : undefined;
  const held = new Map<string, { deliveries: DeliveryRecord[]; count: number }>();
  const end = await lastHistoryId(client);
  const scan = historyEntriesBackward(client, { end, ...(filter.since === undefined ? {} : { startMs: filter.since - SINCE_SLACK_MS }) });
  const before = options.before;
  for await (const { streamId, record: rec } of scan) {
    if (options.keepId !== undefined && !options.keepId(rec.id)) continue;
    if (rec.kind === 'delivery') {
      let h = held.get(rec.id);
      if (h === undefined) held.set(rec.id, (h = { deliveries: [], count: 0 }));
      h.count++;
      if (h.deliveries.length < MAX_ATTEMPTS_KEPT) h.deliveries.push(rec);
      continue;
    }
    const h = held.get(rec.id);
    held.delete(rec.id);
    const deliveries = (h?.deliveries ?? []).reverse();
    // An accepted event without attempts is queued for a worker (or a dev delivering it): pending.
    // With routes, per event: dead on any route is dead (the latest attempt of each route decides).
    // Accepted and no attempt that counts (none yet, or only replays elsewhere): still queued for the workers.
    const own = eventStatus(rec, deliveries[deliveries.length - 1], deliveries);
    const status = rec.status === 'accepted' && own === 'accepted' ? 'pending' : own;
    if (before !== undefined && !streamIdBefore(streamId, before)) continue;
    const ev: StoredEvent = { record: rec, deliveries, attempts: h?.count ?? 0, status };
    if (!matches(ev, filter, matchType)) continue;
    yield { streamId, event: ev };
  }
}

function matches(ev: StoredEvent, filter: EventFilter, matchType: ((t: string) => boolean) | undefined): boolean {
  const r: ReceivedRecord = ev.record;
  if (filter.since !== undefined && Date.parse(r.at) < filter.since) return false;
  if (filter.verdicts && filter.verdicts.length > 0 && !filter.verdicts.includes(r.status)) return false;
  if (filter.webhookIds && filter.webhookIds.length > 0 && (r.webhookId === undefined || !filter.webhookIds.includes(r.webhookId))) return false;
  if (filter.statuses && filter.statuses.length > 0 && !filter.statuses.includes(ev.status)) return false;
  if (matchType !== undefined && (r.type === undefined || !matchType(r.type))) return false;
  return true;
}

/**
 * Look events up by id or id prefix, or by the sender's webhook-id (or a unique prefix of it): RefMatch as the file
 * store's findEvents gives.
 */
export async function findQueueEvents(client: RedisClient, refs: readonly string[]): Promise<RefMatch[]> {
  const wanted = refs.map((ref) => ({ id: normaliseRef(ref), webhookId: ref.trim().startsWith('evt_') ? undefined : ref.trim() }));
  const matches: RefMatch[] = refs.map((ref) => ({ ref, event: undefined, count: 0, candidates: [] }));
  // Attempts carry only the event id: when a webhook-id may be meant, every record is kept.
  const byIdOnly = wanted.every((w) => w.webhookId === undefined);
  const keepId = (id: string): boolean => !byIdOnly || wanted.some((w) => id.startsWith(w.id));
  for await (const ev of queryQueueEvents(client, {}, { keepId })) {
    wanted.forEach((w, i) => {
      const r = ev.record;
      // By webhook-id, the event that took it (not the duplicates Etsy's retries left).
      const byWebhookId = w.webhookId !== undefined && w.webhookId !== '' && r.status !== 'duplicate' && r.status !== 'rejected' && r.webhookId?.startsWith(w.webhookId) === true;
      if (!r.id.startsWith(w.id) && !byWebhookId) return;
      const m = matches[i]!;
      m.count++;
      m.event = m.count === 1 ? ev : undefined;
      if (m.candidates.length < 5) m.candidates.push(ev.record.id);
    });
  }
  return matches;
}

/**
 * Follow the history live from `after` (a stream id, or a time in ms as `<ms>-0`), on its own connection (a blocked
 * read holds it). Calls onRecords with each batch; resolves when stopped.
 */
export function followHistory(
  client: RedisClient,
  after: string,
  onRecords: (records: StoreRecord[]) => void | Promise<void>,
  onError: (err: Error) => void,
): { stop: () => void; done: Promise<void> } {
  let stopped = false;
  const done = (async () => {
    let last = after;
    while (!stopped) {
      try {
        const reply = await command(client, ['XREAD', 'COUNT', '1000', 'BLOCK', '500', 'STREAMS', KEYS.history, last], 5_500);
        if (reply === null || reply === undefined) continue;
        const streams: unknown[] = Array.isArray(reply) ? reply : Object.entries(reply as object);
        const records: StoreRecord[] = [];
        for (const s of streams) {
          for (const raw of ((s as unknown[])[1] as unknown[]) ?? []) {
            const { id, record } = parseEntry(raw);
            last = id;
            if (record !== undefined) records.push(record);
          }
        }
        if (records.length > 0) await onRecords(records);
      } catch (err) {
        if (stopped) break;
        onError(err as Error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  })();
  return { stop: () => void (stopped = true), done };
}
