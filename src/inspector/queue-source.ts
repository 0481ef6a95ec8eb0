// The inspector over the shared Redis queue: the history stream read as `events list|show --queue` reads it, followed
// as `tail --queue` follows it, and replays recorded in it as `replay --queue` records them.
import { normaliseRef, type StoredEvent } from '../core/log/query.js';
import type { DeliveryRecord, StoreRecord } from '../core/log/records.js';
import { connect, describeRedisError, type QueueTarget, type RedisClient } from '../core/queue/connection.js';
import { followHistory, lastHistoryId, queryQueueEntries, queryQueueEvents } from '../core/queue/reader.js';
import { DEFAULT_RETENTION } from '../core/defaults.js';
import { RedisSink } from '../core/queue/sink.js';
import { BadCursorError, LookupError, searchMatcher, type AttemptWriter, type EventPage, type InspectorQuery, type InspectorSource } from './source.js';

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

export interface QueueSourceOptions {
  /** Where replay attempts go: a running pipeline's sink; by default one on this source's connection. */
  attempts?: AttemptWriter;
  /** Told once when following the history fails (Redis lost), and keeps retrying. */
  onFollowError?: (err: Error) => void;
}

export class QueueSource implements InspectorSource {
  private readonly listeners = new Set<(records: StoreRecord[]) => void>();

  private constructor(
    private readonly reads: RedisClient,
    private readonly blocking: RedisClient,
    private readonly following: { stop: () => void; done: Promise<void> },
    private readonly attempts: AttemptWriter,
    private readonly ownSink: RedisSink | undefined,
    private readonly target: QueueTarget,
  ) {}

  get where(): string {
    return `redis://${this.target.where}`;
  }

  /** Two connections: one for reads and replays, one held by the blocking read that follows the history. */
  static async open(target: QueueTarget, options: QueueSourceOptions = {}): Promise<QueueSource> {
    const reads = await connect(target);
    let blocking: RedisClient;
    try {
      blocking = await connect(target);
    } catch (err) {
      await reads.close().catch(() => reads.destroy());
      throw err;
    }
    // Followed from the start, for every page alike: a page that said `ready` misses nothing written after it.
    const from = await lastHistoryId(reads);
    let source: QueueSource | undefined;
    let warned = false;
    const following = followHistory(
      blocking,
      from,
      (records) => {
        for (const l of source?.listeners ?? []) l(records);
      },
      (err) => {
        if (!warned) options.onFollowError?.(err);
        warned = true;
      },
    );
    // A reader does not know the receivers' --retain: its replay attempts trim nothing.
    const ownSink = options.attempts === undefined ? new RedisSink(reads, target, { retention: { ...DEFAULT_RETENTION }, trim: false }) : undefined;
    source = new QueueSource(reads, blocking, following, options.attempts ?? ownSink!, ownSink, target);
    return source;
  }

  async list(query: InspectorQuery, limit: number, cursor?: string): Promise<EventPage> {
    return this.saying(() => this.page(query, limit, cursor));
  }

  private async page(query: InspectorQuery, limit: number, cursor?: string): Promise<EventPage> {
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
    const r = ref.trim();
    if (r === '') throw new LookupError('name an event: an event id, a unique prefix of one, or a webhook-id', 'not-found');
    return this.saying(async () => (await this.byId(r)) ?? (await this.byWebhookId(r)));
  }

  /** A Redis failure as one line naming the server (the page shows it), not the client's own words. */
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

  follow(onRecords: (records: StoreRecord[]) => void): () => void {
    this.listeners.add(onRecords);
    return () => void this.listeners.delete(onRecords);
  }

  async recordAttempt(record: DeliveryRecord): Promise<void> {
    await this.attempts.attempt(record);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.following.stop();
    // The blocked read ends with its connection, not half a second later.
    this.blocking.destroy();
    await this.following.done;
    if (this.ownSink !== undefined) await this.ownSink.close();
    else await this.reads.close().catch(() => this.reads.destroy());
  }
}
