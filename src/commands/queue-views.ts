// The --queue branches of events list/show, tail and replay: the same questions asked of the Redis history
// instead of the file store, answered with the same presenters.
import type { EventFilter, RefMatch, StoredEvent } from '../core/log/query.js';
import type { StoreRecord } from '../core/log/records.js';
import type { TailFilter } from '../core/log/follower.js';
import type { RedisClient } from '../core/queue/connection.js';
import type { Output } from '../ui/output.js';

/** Connect for reading (one clear line when that fails) and run `fn`, closing the connection after. */
export async function withQueue<T>(raw: string, fn: (client: RedisClient) => Promise<T>): Promise<T> {
  const { connect, parseQueueUrl } = await import('../core/queue/connection.js');
  const client = await connect(parseQueueUrl(raw));
  try {
    return await fn(client);
  } finally {
    await client.close().catch(() => client.destroy());
  }
}

/** `events list --queue`: the newest `limit` matching events, as JSON or a table. */
export async function listFromQueue(raw: string, filter: EventFilter, limit: number, out: Output): Promise<void> {
  const { queryQueueEvents } = await import('../core/queue/reader.js');
  const { eventJson } = await import('../ui/present.js');
  const { eventRow, renderEventRows } = await import('../ui/event-table.js');
  const events: StoredEvent[] = await withQueue(raw, async (client) => {
    const found: StoredEvent[] = [];
    for await (const ev of queryQueueEvents(client, filter)) {
      found.push(ev);
      if (found.length >= limit) break;
    }
    return found;
  });
  if (out.json) {
    out.raw(`[${events.map((ev) => JSON.stringify(eventJson(ev))).join(',')}]\n`);
    return;
  }
  if (events.length === 0) {
    out.info('no events in the Redis history match');
    return;
  }
  const { outputWidth } = await import('../ui/table.js');
  out.line(renderEventRows(events.map((ev) => eventRow(ev, out.cOut)), out.cOut, outputWidth()));
  if (events.length === limit) out.info(out.c.dim(`showing the newest ${limit}; --limit N for more`));
}

/** Matches for ids or prefixes, from the Redis history. */
export async function findInQueue(raw: string, refs: readonly string[]): Promise<RefMatch[]> {
  const { findQueueEvents } = await import('../core/queue/reader.js');
  return withQueue(raw, (client) => findQueueEvents(client, refs));
}

/** Selected events for replay, oldest first; the default target is where a worker last delivered it. */
export async function selectFromQueue(raw: string, filter: EventFilter): Promise<StoredEvent[]> {
  const { queryQueueEvents } = await import('../core/queue/reader.js');
  const events = await withQueue(raw, async (client) => {
    const found: StoredEvent[] = [];
    for await (const ev of queryQueueEvents(client, filter)) {
      const last = ev.deliveries.filter((d) => !d.replay).pop();
      if (ev.record.forwardTo === undefined && last !== undefined) ev.record.forwardTo = last.target;
      // A worker's routes are not on the event: its attempts per route are what replay --failed re-runs.
      const routed = ev.deliveries.filter((d) => d.route !== undefined);
      found.push({ ...ev, deliveries: routed });
    }
    return found;
  });
  return events.reverse();
}

/** A sink for replay's attempts: the history stream. */
export async function queueSink(raw: string): Promise<import('../core/queue/sink.js').RedisSink> {
  const { connect, parseQueueUrl, DEFAULT_RETENTION } = await import('../core/queue/connection.js');
  const { RedisSink } = await import('../core/queue/sink.js');
  const target = parseQueueUrl(raw);
  // Never trims: replay does not know the receivers' --retain, and must not cut a history kept longer.
  return new RedisSink(await connect(target), target, { retention: { ...DEFAULT_RETENTION }, trim: false });
}

/** `tail --queue`: what every receiver and worker records, live, from `sinceMs` back (or from now). */
export async function tailQueue(raw: string, sinceMs: number | undefined, onRecords: (records: StoreRecord[]) => boolean, out: Output, last?: { n: number; filter: TailFilter }): Promise<void> {
  const { followHistory, lastHistoryId, lastHistoryRecords } = await import('../core/queue/reader.js');
  const { connect, parseQueueUrl } = await import('../core/queue/connection.js');
  const target = parseQueueUrl(raw);
  const client = await connect(target);
  const start = sinceMs === undefined || last !== undefined ? await lastHistoryId(client) : `${Math.max(0, sinceMs - 60_000)}-0`;
  if (last !== undefined) onRecords(await lastHistoryRecords(client, start, last.n, last.filter));
  let warned = false;
  const follow = followHistory(
    client,
    start,
    (records) => {
      if (!onRecords(records)) follow.stop();
    },
    (err) => {
      if (!warned) out.warn(`lost Redis at ${target.where}: ${err.message.split('\n')[0]}; retrying`);
      warned = true;
    },
  );
  const stop = (): void => follow.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  out.info(out.c.dim(`following the Redis history at ${target.where}; Ctrl-C to stop`));
  await follow.done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await client.close().catch(() => client.destroy());
}
