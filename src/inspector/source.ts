// Where the inspector reads events from and records replay attempts to. Behind one small interface, so a reader of
// the shared Redis queue can stand in for the file log without the server knowing.
import { typeMatcher } from '../core/events/globs.js';
import { completeEnd, LogFollower, logSize } from '../core/log/follower.js';
import { findEvents, queryEvents, type EventFilter, type StoredEvent } from '../core/log/query.js';
import { bodyBytes, type DeliveryRecord, type EventStatus, type StoreRecord } from '../core/log/records.js';
import type { EventSink } from '../core/log/sink.js';

/** What the page can ask for: `events list`'s filters, plus a search over ids, webhook-ids and body text. */
export interface InspectorQuery extends EventFilter {
  /** Case-insensitive text found in the event id, its webhook-id or its body. */
  search?: string;
}

export interface EventPage {
  events: StoredEvent[];
  /** Opaque: pass back for the next (older) page; undefined on the last page. */
  next: string | undefined;
}

/** The one lookup that failed, and why (no match, or several). */
export class LookupError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'ambiguous',
  ) {
    super(message);
  }
}

export interface InspectorSource {
  /** A page of events, newest first; a cursor pages within the log as it was when the first page was read. */
  list(query: InspectorQuery, limit: number, cursor?: string): Promise<EventPage>;
  /** One event by event id, a unique prefix of one, or a webhook-id (or a unique prefix of one). */
  get(ref: string): Promise<StoredEvent>;
  /** Every record written from now on, in batches, oldest first; returns the function that stops following. */
  follow(onRecords: (records: StoreRecord[]) => void): () => void;
  /** Where a replay goes when neither the running receiver nor the event names a forward target (optional). */
  replayTarget?(ev: StoredEvent): string | undefined;
  /** Keep a delivery attempt the inspector made (a replay), as `etsyhook replay` does. */
  recordAttempt(record: DeliveryRecord): Promise<void>;
  /** Where the events are, for the page's header: a directory, a queue URL. */
  readonly where: string;
  close(): Promise<void>;
}

/** Keeps delivery attempts: a running pipeline's sink, or the store opened for the purpose (as replay does). */
export type AttemptWriter = Pick<EventSink, 'attempt'>;

interface Cursor {
  /** The log's end when paging began: later events do not shift the pages. */
  end: number;
  /** Matching events already handed out. */
  skip: number;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.end, c.skip])).toString('base64url');
}

function decodeCursor(raw: string): Cursor | undefined {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 2) return undefined;
    const [end, skip] = v as unknown[];
    if (!Number.isSafeInteger(end) || !Number.isSafeInteger(skip) || (end as number) < 0 || (skip as number) < 0) return undefined;
    return { end: end as number, skip: skip as number };
  } catch {
    return undefined;
  }
}

export class BadCursorError extends Error {}

/** A predicate for the search box: ids and webhook-ids, and the body text (non-UTF-8 bodies are searched as latin1). */
export function searchMatcher(search: string | undefined): ((ev: StoredEvent) => boolean) | undefined {
  const needle = search?.trim().toLowerCase() ?? '';
  if (needle === '') return undefined;
  return (ev) => {
    const r = ev.record;
    if (r.id.toLowerCase().includes(needle)) return true;
    if (r.webhookId?.toLowerCase().includes(needle)) return true;
    const text = r.body ?? (r.body64 === undefined ? '' : bodyBytes(r).toString('latin1'));
    return text.toLowerCase().includes(needle);
  };
}

/** Does a received record (just written, so its status is its verdict) pass the query? For the live stream. */
export function liveMatcher(query: InspectorQuery): (ev: StoredEvent) => boolean {
  const typeOk = typeMatcher(query.types ?? []);
  const statuses = new Set<EventStatus>(query.statuses ?? []);
  const search = searchMatcher(query.search);
  return (ev) =>
    typeOk(ev.record.type) &&
    (statuses.size === 0 || statuses.has(ev.status)) &&
    (query.since === undefined || Date.parse(ev.record.at) >= query.since) &&
    (search === undefined || search(ev));
}

/** The embedded file log under ETSYHOOK_HOME: read with the same scans as `events list` and `tail`. */
export class FileSource implements InspectorSource {
  private follower: LogFollower | undefined;
  private readonly listeners = new Set<(records: StoreRecord[]) => void>();

  constructor(
    private readonly file: string,
    private readonly attempts: () => Promise<AttemptWriter>,
    readonly where: string,
    private readonly onBadLine?: (offset: number, length: number) => void,
  ) {}

  async list(query: InspectorQuery, limit: number, cursor?: string): Promise<EventPage> {
    let at: Cursor;
    if (cursor === undefined || cursor === '') at = { end: completeEnd(this.file, logSize(this.file)), skip: 0 };
    else {
      const decoded = decodeCursor(cursor);
      if (decoded === undefined) throw new BadCursorError(`cursor '${cursor}' is not one this server handed out`);
      at = decoded;
    }
    if (at.end === 0) return { events: [], next: undefined };
    const search = searchMatcher(query.search);
    const { search: _ignored, ...filter } = query;
    const events: StoredEvent[] = [];
    let seen = 0;
    let more = false;
    // Pages are counted from the snapshot's end: memory holds one page, whatever the size of the log.
    for (const ev of queryEvents(this.file, filter, { end: at.end, ...(this.onBadLine ? { onBadLine: this.onBadLine } : {}) })) {
      if (search !== undefined && !search(ev)) continue;
      if (seen++ < at.skip) continue;
      if (events.length === limit) {
        more = true;
        break;
      }
      events.push(ev);
    }
    return { events, next: more ? encodeCursor({ end: at.end, skip: at.skip + events.length }) : undefined };
  }

  async get(ref: string): Promise<StoredEvent> {
    const r = ref.trim();
    if (r === '') throw new LookupError('name an event: an event id, a unique prefix of one, or a webhook-id', 'not-found');
    const end = completeEnd(this.file, logSize(this.file));
    if (end === 0) throw new LookupError(`no stored event matches '${r}'`, 'not-found');
    const bad = this.onBadLine ? { onBadLine: this.onBadLine } : {};
    const [byId] = findEvents(this.file, [r], { end, ...bad });
    if (byId !== undefined && byId.event !== undefined) return byId.event;
    if (byId !== undefined && byId.count > 1) {
      throw new LookupError(`'${r}' is ambiguous: it matches ${byId.candidates.join(', ')}${byId.count > byId.candidates.length ? ', …' : ''}`, 'ambiguous');
    }
    // A webhook-id names the request that was accepted with it; its duplicates carry the same id.
    let byWebhookId: StoredEvent[] = [];
    const ids = new Set<string>();
    for (const ev of queryEvents(this.file, {}, { end, ...bad })) {
      const w = ev.record.webhookId;
      if (w === undefined || !w.startsWith(r)) continue;
      ids.add(w);
      if (ev.record.status !== 'duplicate') byWebhookId.push(ev);
    }
    // A whole webhook-id names its own event even when it is also the start of longer ones.
    if (ids.has(r)) {
      ids.clear();
      ids.add(r);
      byWebhookId = byWebhookId.filter((ev) => ev.record.webhookId === r);
    }
    if (ids.size > 1) throw new LookupError(`'${r}' is ambiguous: it matches the webhook-ids ${[...ids].slice(0, 5).join(', ')}`, 'ambiguous');
    const chosen = byWebhookId.find((ev) => ev.record.status === 'accepted') ?? byWebhookId[0];
    if (chosen === undefined) throw new LookupError(`no stored event matches '${r}'`, 'not-found');
    return chosen;
  }

  follow(onRecords: (records: StoreRecord[]) => void): () => void {
    this.listeners.add(onRecords);
    if (this.follower === undefined) {
      // One reader of the log however many pages are open.
      this.follower = new LogFollower(this.file, completeEnd(this.file, logSize(this.file)), {
        onRecords: (records) => {
          for (const l of this.listeners) l(records);
        },
        pollMs: 250,
        ...(this.onBadLine ? { onBadLine: this.onBadLine } : {}),
      });
      this.follower.start();
    }
    return () => {
      this.listeners.delete(onRecords);
      if (this.listeners.size === 0) {
        this.follower?.stop();
        this.follower = undefined;
      }
    };
  }

  async recordAttempt(record: DeliveryRecord): Promise<void> {
    const writer = await this.attempts();
    await writer.attempt(record);
  }

  async close(): Promise<void> {
    this.follower?.stop();
    this.follower = undefined;
    this.listeners.clear();
  }
}
