// The history in the file log under ETSYHOOK_HOME: read with the same backward scans as `events list`, followed as
// `tail` follows it, and a replay's attempts appended to it (synced on close, as a receiver's lazily are).
import { statSync } from 'node:fs';
import { checkDir } from '../../home.js';
import { clearEvents, type ClearOptions, type ClearResult } from '../log/clear.js';
import { completeEnd, lastRecords, LogFollower, planTail, TailFilter } from '../log/follower.js';
import { findEvents, queryEvents, type EventFilter, type RefMatch, type StoredEvent } from '../log/query.js';
import type { DeliveryRecord, StoreRecord } from '../log/records.js';
import { EventStore, logPath } from '../log/store.js';
import { BadCursorError, checkRef, LookupError, searchMatcher, sharedFollowing, type AttemptWriter, type Listener, type EventPage, type FollowOptions, type Following, type History, type HistoryQuery, type ReadOptions } from './history.js';

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


export interface FileHistoryOptions {
  /** Where attempts go: a running pipeline's sink; by default the store, opened on the first attempt. */
  attempts?: AttemptWriter;
  /** The default for every read that names none (the inspector counts them). */
  onBadLine?: (offset: number, length: number) => void;
}

export class FileHistory implements History {
  readonly name: string;
  private shared: LogFollower | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly own = new Set<Following>();
  private store: Promise<EventStore> | undefined;

  constructor(
    /** The store directory (ETSYHOOK_HOME/events). */
    readonly where: string,
    private readonly options: FileHistoryOptions = {},
  ) {
    this.name = logPath(where);
  }

  /** Bytes in the log now; a home that could never hold one is said now, not as a raw ENOTDIR. */
  private size(): number {
    try {
      return statSync(this.name).size;
    } catch (err) {
      checkDir(this.where);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return 0;
    }
  }

  private bad(options: ReadOptions | undefined): ReadOptions {
    const onBadLine = options?.onBadLine ?? this.options.onBadLine;
    return onBadLine === undefined ? {} : { onBadLine };
  }

  async isEmpty(): Promise<boolean> {
    return this.size() === 0;
  }

  async *events(filter: EventFilter = {}, options?: ReadOptions): AsyncIterable<StoredEvent> {
    const end = this.size();
    if (end === 0) return;
    yield* queryEvents(this.name, filter, { end, ...this.bad(options) });
  }

  async find(refs: readonly string[], options?: ReadOptions): Promise<RefMatch[]> {
    const end = this.size();
    if (end === 0) return refs.map((ref) => ({ ref, event: undefined, count: 0, candidates: [] }));
    return findEvents(this.name, refs, { end, ...this.bad(options) });
  }

  async list(query: HistoryQuery, limit: number, cursor?: string): Promise<EventPage> {
    let at: Cursor;
    if (cursor === undefined || cursor === '') at = { end: completeEnd(this.name, this.size()), skip: 0 };
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
    for (const ev of queryEvents(this.name, filter, { end: at.end, ...this.bad(undefined) })) {
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
    const r = checkRef(ref);
    const end = completeEnd(this.name, this.size());
    if (end === 0) throw new LookupError(`no stored event matches '${r}'`, 'not-found');
    const bad = this.bad(undefined);
    const [byId] = findEvents(this.name, [r], { end, ...bad });
    if (byId !== undefined && byId.event !== undefined) return byId.event;
    if (byId !== undefined && byId.count > 1) {
      throw new LookupError(`'${r}' is ambiguous: it matches ${byId.candidates.join(', ')}${byId.count > byId.candidates.length ? ', …' : ''}`, 'ambiguous');
    }
    // A webhook-id names the request that was accepted with it; its duplicates carry the same id.
    let byWebhookId: StoredEvent[] = [];
    const ids = new Set<string>();
    for (const ev of queryEvents(this.name, {}, { end, ...bad })) {
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

  follow(onRecords: Listener, options: FollowOptions = {}): Following {
    const bad = this.bad(options);
    const end = completeEnd(this.name, this.size());
    if (options.since !== undefined || options.filter !== undefined || options.last !== undefined) {
      // Its own reader, from where the backlog to show starts (and the filter taught the recent types).
      const filter = options.filter ?? new TailFilter();
      const start = planTail(this.name, end, filter, options.since);
      if (options.last === undefined) return this.ownFollower(start, onRecords, bad);
      const last = lastRecords(this.name, end, filter, options.last, (offset) => bad.onBadLine?.(offset, 0));
      if (last.length > 0) void onRecords(last);
      return this.ownFollower(end, onRecords, bad);
    }
    this.listeners.add(onRecords);
    if (this.shared === undefined) {
      // One reader of the log however many pages are open.
      const follower: LogFollower = new LogFollower(this.name, end, {
        onRecords: (records) => {
          const waits = [...this.listeners].map((l) => l(records)).filter((p): p is Promise<void> => p instanceof Promise);
          if (waits.length === 0) return;
          follower.pause();
          void Promise.allSettled(waits).then(() => follower.resume());
        },
        pollMs: 250,
        ...bad,
      });
      this.shared = follower;
      follower.start();
    }
    return sharedFollowing(this.listeners, onRecords, () => {
      this.shared?.stop();
      this.shared = undefined;
    });
  }

  private ownFollower(start: number, onRecords: Listener, bad: ReadOptions): Following {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const follower: LogFollower = new LogFollower(this.name, start, {
      onRecords: (records) => {
        const wait = onRecords(records);
        if (!(wait instanceof Promise)) return;
        follower.pause();
        void wait.finally(() => follower.resume());
      },
      ...bad,
    });
    const following: Following = {
      done,
      stop: () => {
        follower.stop();
        this.own.delete(following);
        resolve();
      },
    };
    this.own.add(following);
    follower.start();
    return following;
  }

  replayTarget(): string | undefined {
    // The file log keeps the receiver's --forward-to on the event itself.
    return undefined;
  }

  async recordAttempt(record: DeliveryRecord): Promise<void> {
    if (this.options.attempts !== undefined) return this.options.attempts.attempt(record);
    // Lazily synced, as a receiver's attempts are; close() syncs them.
    await (await (this.store ??= EventStore.open(this.where))).append(record, { durable: false });
  }

  readonly clear = async (options: ClearOptions = {}): Promise<ClearResult> => {
    this.size(); // an unusable home is said as such
    return clearEvents(this.name, options);
  };

  private closing: Promise<void> | undefined;

  /** Stops every follow and makes kept attempts durable; a second call waits for the first. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    for (const f of [...this.own]) f.stop();
    this.shared?.stop();
    this.shared = undefined;
    this.listeners.clear();
    if (this.store !== undefined) {
      const store = this.store;
      this.store = undefined;
      await (await store).close();
    }
  }
}
