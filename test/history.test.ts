// The one history source (src/core/history): the file log and the Redis history answer the same questions the same
// way. Every case runs against both backends: a real file store in a temporary home, a real redis-server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { LookupError, openHistory, type History } from '../src/core/history/index.js';
import { FileSink } from '../src/core/log/file-sink.js';
import type { StoreRecord } from '../src/core/log/records.js';
import type { EventSink } from '../src/core/log/sink.js';
import { connect, DEFAULT_RETENTION, parseQueueUrl } from '../src/core/queue/connection.js';
import { RedisSink } from '../src/core/queue/sink.js';
import { it, waitFor, type Cleanup } from './support/index.js';
import { delivery, received } from './support/fixtures.js';
import { redis } from './support/redis.js';

interface Backend {
  /** A writer as a receiver writes (the pipeline's sink), and how to open the history over what it writes. */
  sink: EventSink;
  open: () => Promise<History>;
}

const backends: { name: string; clears: boolean; start: (cleanups: Cleanup[]) => Promise<Backend> }[] = [
  {
    name: 'the file log',
    clears: true,
    start: async (cleanups) => {
      const dir = mkdtempSync(join(tmpdir(), 'etsyhook-history-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const { sink } = await FileSink.open(dir);
      cleanups.push(() => sink.close());
      return { sink, open: () => openHistory({ dir }) };
    },
  },
  {
    name: 'the Redis history',
    clears: false,
    start: async (cleanups) => {
      const r = await redis(cleanups);
      const target = parseQueueUrl(r.url);
      const sink = new RedisSink(await connect(target), target, { retention: DEFAULT_RETENTION });
      cleanups.push(() => sink.close());
      // The home is never looked at with a queue: one that cannot exist proves it.
      return { sink, open: () => openHistory({ queue: r.url, dir: '/dev/null/events' }) };
    },
  },
];

async function opened(b: Backend, cleanups: Cleanup[]): Promise<History> {
  const h = await b.open();
  cleanups.push(() => h.close());
  return h;
}

for (const backend of backends) {
  describe(`history over ${backend.name}`, () => {
    it('lists newest first with attempts and statuses, pages with a cursor, filters by type and status', async ({ cleanups }) => {
      const b = await backend.start(cleanups);
      const empty = await opened(b, cleanups);
      expect(await empty.isEmpty()).toBe(true);
      expect(await empty.list({}, 10)).toEqual({ events: [], next: undefined });

      const paid = received({ type: 'order.paid', minutesAgo: 3 });
      const shipped = received({ type: 'order.shipped', minutesAgo: 2 });
      const created = received({ type: 'listing.created', minutesAgo: 1 });
      for (const r of [paid, shipped, created]) await b.sink.receive(structuredClone(r));
      await b.sink.attempt(delivery(paid, { status: 'failed', httpStatus: 500 }));
      await b.sink.attempt(delivery(shipped));

      const h = await opened(b, cleanups);
      expect(await h.isEmpty()).toBe(false);
      const first = await h.list({}, 2);
      expect(first.events.map((e) => e.record.id)).toEqual([created.id, shipped.id]);
      expect(first.next).toBeTypeOf('string');
      const second = await h.list({}, 2, first.next);
      expect(second.events.map((e) => [e.record.id, e.status, e.attempts])).toEqual([[paid.id, 'failed', 1]]);
      expect(second.next).toBeUndefined();

      expect((await h.list({ types: ['order.*'] }, 10)).events.map((e) => e.record.id)).toEqual([shipped.id, paid.id]);
      expect((await h.list({ statuses: ['delivered'] }, 10)).events.map((e) => e.record.id)).toEqual([shipped.id]);
      expect((await h.list({ search: created.webhookId! }, 10)).events.map((e) => e.record.id)).toEqual([created.id]);
      const streamed: string[] = [];
      for await (const ev of h.events({ statuses: ['failed'] })) streamed.push(ev.record.id);
      expect(streamed).toEqual([paid.id]);
    });

    it('gets one event by id, unique prefix or webhook-id; says not found and ambiguous apart', async ({ cleanups }) => {
      const b = await backend.start(cleanups);
      const a = received({ id: 'evt_aaaa000000000001' });
      const c = received({ id: 'evt_aaaa000000000002' });
      for (const r of [a, c]) await b.sink.receive(structuredClone(r));
      await b.sink.attempt(delivery(a));
      const h = await opened(b, cleanups);

      const got = await h.get('evt_aaaa000000000001');
      expect(got.record.id).toBe(a.id);
      expect(got.deliveries.map((d) => [d.status, d.httpStatus])).toEqual([['delivered', 200]]);
      expect((await h.get(c.webhookId!)).record.id).toBe(c.id);
      await expect(h.get('evt_aaaa')).rejects.toMatchObject({ kind: 'ambiguous' });
      await expect(h.get('evt_ffff')).rejects.toBeInstanceOf(LookupError);
      await expect(h.get('evt_ffff')).rejects.toMatchObject({ kind: 'not-found' });
      const [byPrefix, none] = await h.find(['aaaa000000000002', 'evt_ffff']);
      expect(byPrefix!.event?.record.id).toBe(c.id);
      expect(none!.count).toBe(0);
    });

    it('follows what is written after it starts, oldest first, until stopped', async ({ cleanups }) => {
      const b = await backend.start(cleanups);
      const before = received({ minutesAgo: 5 });
      await b.sink.receive(structuredClone(before));
      const h = await opened(b, cleanups);
      const seen: StoreRecord[] = [];
      const following = h.follow((records) => void seen.push(...records));
      cleanups.push(() => following.stop());
      // Written after the follow began, by the receiver: nothing written from then on is missed.
      const after = received({ minutesAgo: 0 });
      await b.sink.receive(structuredClone(after));
      await b.sink.attempt(delivery(after));
      await waitFor('the request and its attempt', () => seen.length >= 2);
      expect(seen.map((r) => [r.kind, r.id])).toEqual([
        ['received', after.id],
        ['delivery', after.id],
      ]);
      expect(seen.some((r) => r.id === before.id)).toBe(false);
      following.stop();
      await following.done;
    });

    it('records an attempt (a replay) where a later reader finds it with its event', async ({ cleanups }) => {
      const b = await backend.start(cleanups);
      const ev = received();
      await b.sink.receive(structuredClone(ev));
      const h = await b.open();
      await h.recordAttempt(delivery(ev, { replay: true, attempt: 2, status: 'delivered', response: { body: 'ok', truncated: false } }));
      await h.close();

      const again = await opened(b, cleanups);
      const got = await again.get(ev.id);
      expect(got.status).toBe('delivered');
      expect(got.deliveries.map((d) => [d.replay, d.attempt, d.response?.body])).toEqual([[true, 2, 'ok']]);
    });

    it(`names where its events live; ${backend.clears ? 'can' : 'cannot'} clear them`, async ({ cleanups }) => {
      const b = await backend.start(cleanups);
      const h = await opened(b, cleanups);
      expect(h.where).toMatch(backend.clears ? /etsyhook-history-/ : /^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(h.name).toMatch(backend.clears ? /events\.ndjson$/ : /^the Redis history at 127\.0\.0\.1:\d+$/);
      expect(h.clear !== undefined).toBe(backend.clears);
    });
  });
}
