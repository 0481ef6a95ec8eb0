import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { open } from 'node:fs/promises';
import { EventStore, LAZY_SYNC_MS, logPath, readBackward, readForward } from '../src/core/log/store.js';
import { bodyBytes, encodeBody, formatRecord, newEventId, parseRecord, type DeliveryRecord, type ReceivedRecord, type StoreRecord } from '../src/core/log/records.js';
import { it, waitFor } from './support/index.js';

function received(n: number, extra: Partial<ReceivedRecord> = {}): ReceivedRecord {
  return {
    kind: 'received',
    id: newEventId(),
    at: new Date(1_700_000_000_000 + n * 1000).toISOString(),
    method: 'POST',
    path: '/webhook',
    headers: { 'content-type': 'application/json' },
    ...encodeBody(Buffer.from(`{"n":${n}}`)),
    status: 'accepted',
    type: 'order.paid',
    ...extra,
  };
}

function delivery(n: number): DeliveryRecord {
  return { kind: 'delivery', id: newEventId(), at: new Date(1_700_000_000_000 + n * 1000).toISOString(), target: 'http://127.0.0.1:3000/', attempt: 1, httpStatus: 200, ms: 3, status: 'delivered' };
}

describe('EventStore', () => {
  it('makes every concurrent append durable and readable in order, both ways', async ({ home }) => {
    const d = join(home.dir, 'events');
    const store = await EventStore.open(d);
    const recs = Array.from({ length: 500 }, (_, i) => received(i));
    await Promise.all(recs.map((r) => store.append(r)));
    await store.close();
    const forward: StoreRecord[] = [];
    readForward(logPath(d), 0, (r) => forward.push(r));
    expect(forward.map((r) => r.id)).toEqual(recs.map((r) => r.id));
    const backward = [...readBackward(logPath(d), { chunkSize: 97 })];
    expect(backward.map((r) => r.id)).toEqual(recs.map((r) => r.id).reverse());
    expect(statSync(logPath(d)).mode & 0o777).toBe(0o600);
  });

  it('syncs lazy appends (delivery attempts) together, within LAZY_SYNC_MS and at close; durable ones before resolving', async ({ home }) => {
    // Count the store's fdatasync calls (Node's FileHandle, not our code, is what is counted).
    const probe = await open('/dev/null', 'r');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const real = proto.datasync;
    let syncs = 0;
    proto.datasync = function counted(this: unknown) {
      syncs++;
      return real.call(this);
    };
    try {
      const d = join(home.dir, 'events');
      const store = await EventStore.open(d);
      const attempts = Array.from({ length: 300 }, (_, i) => delivery(i));
      await Promise.all(attempts.map((r) => store.append(r, { durable: false })));
      // Written (readers see them at once) but not one sync per attempt, nor one per batch.
      const seen: StoreRecord[] = [];
      readForward(logPath(d), 0, (r) => seen.push(r));
      expect(seen).toHaveLength(300);
      expect(syncs).toBe(0);
      // One sync for all 300, within the lazy interval.
      const t0 = Date.now();
      await waitFor('the lazy sync', () => syncs > 0, LAZY_SYNC_MS * 10, 5);
      expect(Date.now() - t0).toBeLessThan(LAZY_SYNC_MS * 5);
      expect(syncs).toBe(1);
      // A durable append resolves only after a sync of its own.
      await store.append(received(1));
      expect(syncs).toBe(2);
      // Lazy ones left at close are synced by close.
      await store.append(delivery(301), { durable: false });
      await store.close();
      expect(syncs).toBe(3);
    } finally {
      proto.datasync = real;
    }
  });

  it('keeps exact body bytes, including invalid UTF-8', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const rec = received(1, encodeBody(bytes));
    expect(rec.body64).toBeDefined();
    const parsed = parseRecord(formatRecord(rec).trimEnd()) as ReceivedRecord;
    expect(bodyBytes(parsed).equals(bytes)).toBe(true);
    const text = Buffer.from('{"a":"ünï \\\\ "}  ');
    expect(bodyBytes(received(2, encodeBody(text))).equals(text)).toBe(true);
  });

  it('skips a torn final record with a warning and starts the next write on a fresh line', async ({ home }) => {
    const d = join(home.dir, 'events');
    const store = await EventStore.open(d);
    const first = received(1);
    await store.append(first);
    await store.close();
    const torn = formatRecord(received(2));
    appendFileSync(logPath(d), torn.slice(0, torn.length - 20)); // a crash mid-write
    const bad: number[] = [];
    expect([...readBackward(logPath(d), { onBadLine: (o) => bad.push(o) })].map((r) => r.id)).toEqual([first.id]);
    expect(bad).toHaveLength(1);

    const again = await EventStore.open(d);
    const third = received(3);
    await again.append(third);
    await again.close();
    const ids: string[] = [];
    readForward(logPath(d), 0, (r) => ids.push(r.id));
    expect(ids).toEqual([first.id, third.id]);
  });

  it('never yields a record whose line was corrupted', () => {
    const line = formatRecord(received(1)).trimEnd();
    const flipped = line.replace('n\\":1', 'n\\":7');
    expect(flipped).not.toBe(line);
    expect(parseRecord(line)).toBeDefined();
    expect(parseRecord(flipped)).toBeUndefined();
  });

  it('two stores appending to one directory never corrupt each other', async ({ home }) => {
    const d = join(home.dir, 'events');
    const [a, b] = await Promise.all([EventStore.open(d), EventStore.open(d)]);
    const ra = Array.from({ length: 300 }, (_, i) => received(i));
    const rb = Array.from({ length: 300 }, (_, i) => received(i + 1000));
    await Promise.all([...ra.map((r) => a.append(r)), ...rb.map((r) => b.append(r))]);
    await Promise.all([a.close(), b.close()]);
    const ids = new Set<string>();
    let bad = 0;
    readForward(logPath(d), 0, (r) => ids.add(r.id), { onBadLine: () => bad++ });
    expect(bad).toBe(0);
    expect(ids.size).toBe(600);
  });

  it('rejects appends with a clear error when the directory cannot be written', async ({ home }) => {
    const d = join(home.dir, 'events');
    writeFileSync(join(d, '..', 'blocker'), '');
    await expect(EventStore.open(join(d, '..', 'blocker', 'x'))).rejects.toThrow(/cannot open the event store/);
    expect(readFileSync(join(d, '..', 'blocker'), 'utf8')).toBe('');
  });
});

describe('records written before 0.2.0', () => {
  it('are read in today\'s schema: the word in status, the HTTP code in httpStatus, a response preview as a body', () => {
    const old = (o: object): string => formatRecord(o as StoreRecord).slice(0, -1);
    const rec = parseRecord(old({ kind: 'received', id: 'evt_a', at: '2026-11-01T00:00:00.000Z', method: 'POST', path: '/webhook', headers: {}, verdict: 'rejected', status: 401, reason: 'stale' }));
    expect(rec).toMatchObject({ kind: 'received', status: 'rejected', httpStatus: 401, reason: 'stale' });
    expect(rec).not.toHaveProperty('verdict');
    const att = parseRecord(old({ kind: 'delivery', id: 'evt_a', at: '2026-11-01T00:00:01.000Z', target: 'http://x/', attempt: 2, status: 500, outcome: 'dead', response: 'oops' }));
    expect(att).toMatchObject({ kind: 'delivery', status: 'dead', httpStatus: 500, attempt: 2, response: { body: 'oops' } });
    expect(att).not.toHaveProperty('outcome');
    // A record of neither shape is still refused.
    expect(parseRecord(old({ kind: 'received', id: 'evt_b', at: '2026-11-01T00:00:00.000Z', method: 'POST', path: '/', headers: {}, status: 200 }))).toBeUndefined();
  });
});
