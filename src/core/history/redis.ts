// The history in the shared Redis queue: the stream every serve, worker and dev --queue writes, read back as the
// file log is read (events with their attempts, newest first), followed live, and a replay's attempts added to it.
import type { EventFilter, RefMatch, StoredEvent } from '../log/query.js';
import { normaliseRef } from '../log/query.js';
import type { DeliveryRecord, StoreRecord } from '../log/records.js';
import { command, connect, describeRedisError, KEYS, type RedisClient } from '../queue/connection.js';
import { findQueueEvents, followHistory, lastHistoryId, lastHistoryRecords, queryQueueEntries, queryQueueEvents } from '../queue/reader.js';
import { TailFilter } from '../log/follower.js';
import { RedisSink } from '../queue/sink.js';
import type { QueueTarget } from '../queue/url.js';
import { DEFAULT_RETENTION } from '../defaults.js';
import { BadCursorError, checkRef, LookupError, searchMatcher, sharedFollowing, type AttemptWriter, type Listener, type EventPage, type FollowOptions, type Following, type History, type HistoryQuery } from './history.js';

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
/** Receivers' clocks and the stream's ids differ a little: follow from this far before a --since cut-off. */
const SINCE_SLACK_MS = 60_000;


export interface RedisHistoryOptions {
  /** Where attempts go: a running pipeline's sink; by default one on this history's connection (it trims nothing). */
  attempts?: AttemptWriter;
  /** Told once when following fails (Redis lost), for a follow that names no onError; following keeps retrying. */
  onFollowError?: (err: Error) => void;
}

export class RedisHistory implements History {
  private readonly listeners = new Set<Listener>();
  private readonly followings = new Set<{ stop: () => void; done: Promise<void>; client: Promise<RedisClient | undefined> }>();
  private shared: Following | undefined;
  private readonly attempts: AttemptWriter;
  private readonly ownSink: RedisSink | undefined;

  private constructor(
    private readonly reads: RedisClient,
    private readonly target: QueueTarget,
    /** The newest entry when opened: following without `since` starts there, so a page that said `ready` misses nothing. */
    private readonly from: string,
    private readonly options: RedisHistoryOptions,
  ) {
    // A reader does not know the receivers' --retain: its attempts trim nothing.
    this.ownSink = options.attempts === undefined ? new RedisSink(reads, target, { retention: { ...DEFAULT_RETENTION }, trim: false }) : undefined;
    this.attempts = options.attempts ?? this.ownSink!;
  }

  get where(): string {
    return `redis://${this.target.where}`;
  }

  get name(): string {
    return `the Redis history at ${this.target.where}`;
  }

  /** One connection for reads and attempts; each follow holds one more (a blocking read), opened when it starts. */
  static async open(target: QueueTarget, options: RedisHistoryOptions = {}): Promise<RedisHistory> {
    const reads = await connect(target);
    try {
      return new RedisHistory(reads, target, await lastHistoryId(reads), options);
    } catch (err) {
      await reads.close().catch(() => reads.destroy());
      throw err;
    }
  }

  async isEmpty(): Promise<boolean> {
    return (await command<number>(this.reads, ['XLEN', KEYS.history])) === 0;
  }

  events(filter: EventFilter = {}): AsyncIterable<StoredEvent> {
    return queryQueueEvents(this.reads, filter);
  }

  find(refs: readonly string[]): Promise<RefMatch[]> {
    return findQueueEvents(this.reads, refs);
  }

  async list(query: HistoryQuery, limit: number, cursor?: string): Promise<EventPage> {
    return this.saying(() => this.page(query, limit, cursor));
  }

  private async page(query: HistoryQuery, limit: number, cursor?: string): Promise<EventPage> {
    const before = cursor === undefined || cursor === '' ? undefined : cursor;
    if (before !== undefined && !STREAM_ID.test(before)) throw new BadCursorError(`cursor '${cursor}' is not one this server handed out`);
    const search = searchMatcher(query.search);
    const { search: _ignored, ...filter } = query;
    const events: StoredEvent[] = [];
    let last: string | undefined;
    let more = false;
    // The cursor is the stream id of the last event handed out: newer events do not shift the pages.
    for await (const { streamId, event } of queryQueueEntries(this.reads, filter, before === undefined ? {} : { before })) {
      if (search !== undefined && !search(event)) continue;
      if (events.length === limit) {
        more = true;
        break;
      }
      events.push(event);
      last = streamId;
    }
    return { events, next: more ? last : undefined };
  }

  async get(ref: string): Promise<StoredEvent> {
    const r = checkRef(ref);
    return this.saying(async () => (await this.byId(r)) ?? (await this.byWebhookId(r)));
  }

  /** A Redis failure as one line naming the server, not the client's own words. */
  private async saying<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof LookupError || err instanceof BadCursorError) throw err;
      throw new Error(`Redis at ${this.target.where}: ${describeRedisError(err, this.target)}`, { cause: err });
    }
  }

  /** Where a worker last delivered it (its --forward-to), as `replay --queue` sends it by default; not a route's. */
  replayTarget(ev: StoredEvent): string | undefined {
    return ev.deliveries.filter((d) => !d.replay && d.route === undefined && /^https?:\/\//.test(d.target)).pop()?.target;
  }

  /** By event id or a unique prefix; undefined when no event id starts so. */
  private async byId(r: string): Promise<StoredEvent | undefined> {
    const prefix = normaliseRef(r);
    let found: StoredEvent | undefined;
    let count = 0;
    const candidates: string[] = [];
    for await (const ev of queryQueueEvents(this.reads, {}, { keepId: (id) => id.startsWith(prefix) })) {
      count++;
      found = count === 1 ? ev : undefined;
      if (candidates.length < 5) candidates.push(ev.record.id);
    }
    if (count > 1) throw new LookupError(`'${r}' is ambiguous: it matches ${candidates.join(', ')}${count > candidates.length ? ', …' : ''}`, 'ambiguous');
    return found;
  }

  /** The event that took a webhook-id (or a unique prefix of one), not the duplicates Etsy's retries left. */
  private async byWebhookId(r: string): Promise<StoredEvent> {
    const ids = new Set<string>();
    let exact: StoredEvent | undefined;
    let first: StoredEvent | undefined;
    for await (const ev of queryQueueEvents(this.reads, {})) {
      const w = ev.record.webhookId;
      if (w === undefined || !w.startsWith(r) || ev.record.status === 'duplicate') continue;
      if (ids.size <= 5) ids.add(w);
      // Newest first: the accepted one wins over an older rejected try of the same webhook-id.
      if (w === r && (exact === undefined || (exact.record.status !== 'accepted' && ev.record.status === 'accepted'))) exact = ev;
      if (first === undefined || (first.record.webhookId === w && first.record.status !== 'accepted' && ev.record.status === 'accepted')) first = ev;
    }
    // A whole webhook-id names its own event even when it is also the start of longer ones.
    if (exact !== undefined) return exact;
    if (ids.size > 1) throw new LookupError(`'${r}' is ambiguous: it matches the webhook-ids ${[...ids].slice(0, 5).join(', ')}`, 'ambiguous');
    if (first === undefined) throw new LookupError(`no stored event matches '${r}'`, 'not-found');
    return first;
  }

  follow(onRecords: Listener, options: FollowOptions = {}): Following {
    const onError = options.onError ?? this.options.onFollowError;
    if (options.last !== undefined) {
      const { last } = options;
      const filter = options.filter ?? new TailFilter();
      return this.followFrom(this.from, onRecords, onError, (client) => lastHistoryRecords(client, this.from, last, filter));
    }
    if (options.since !== undefined) return this.followFrom(`${Math.max(0, options.since - SINCE_SLACK_MS)}-0`, onRecords, onError);
    // One blocking read however many pages are open, from where the history ended when it was opened.
    this.listeners.add(onRecords);
    this.shared ??= this.followFrom(
      this.from,
      async (records) => {
        await Promise.all([...this.listeners].map((l) => l(records)));
      },
      onError,
    );
    return sharedFollowing(this.listeners, onRecords, () => {
      this.shared?.stop();
      this.shared = undefined;
    });
  }

  /** A blocking read on its own connection (opened now; a failure to open is told as a following error, retried). */
  /** With `backlog`, what it reads (once connected) goes first. */
  private followFrom(after: string, onRecords: Listener, onError: ((err: Error) => void) | undefined, backlog?: (client: RedisClient) => Promise<StoreRecord[]>): Following {
    let stopped = false;
    let warned = false;
    const warn = (err: Error): void => {
      if (!warned) onError?.(err);
      warned = true;
    };
    let client: RedisClient | undefined;
    let reading: { stop: () => void; done: Promise<void> } | undefined;
    const opened = (async () => {
      while (!stopped) {
        try {
          client = await connect(this.target);
          break;
        } catch (err) {
          warn(err as Error);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      if (stopped || client === undefined) return client;
      const first = await backlog?.(client).catch((err: unknown) => (warn(err as Error), []));
      if (first !== undefined && first.length > 0) await onRecords(first);
      reading = followHistory(client, after, onRecords, warn);
      return client;
    })();
    const done = (async () => {
      await opened;
      await reading?.done;
      await client?.close().catch(() => client?.destroy());
    })();
    const following = {
      client: opened,
      done,
      stop: () => {
        stopped = true;
        reading?.stop();
        // The blocked read ends with its connection, not half a second later.
        client?.destroy();
        this.followings.delete(following);
      },
    };
    this.followings.add(following);
    return following;
  }

  async recordAttempt(record: DeliveryRecord): Promise<void> {
    await this.attempts.attempt(record);
  }

  private closing: Promise<void> | undefined;

  /** Stops every follow and makes kept attempts durable; a second call waits for the first. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.listeners.clear();
    const all = [...this.followings];
    for (const f of all) f.stop();
    this.shared = undefined;
    await Promise.all(all.map((f) => f.done.catch(() => {})));
    if (this.ownSink !== undefined) await this.ownSink.close();
    else await this.reads.close().catch(() => this.reads.destroy());
  }
}
