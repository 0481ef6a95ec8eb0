// The Redis sink writes a duplicate's record in its Lua script (the accepted record's JSON with "status":"duplicate"
// spliced in and the reason appended), so the receiver sends the record's JSON once. What lands in the history must
// be byte for byte what JSON.stringify({...rec, status: 'duplicate', reason}) gives, and what the file store writes
// for the same duplicate (so `events list` reads the same either way). Real redis-server, real receiver, real file
// store.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { connect, parseQueueUrl } from '../src/core/queue/connection.js';
import { DEFAULT_RETENTION } from '../src/core/defaults.js';
import { RedisSink, statusOffset } from '../src/core/queue/sink.js';
import { FileSink } from '../src/core/log/file-sink.js';
import { logPath } from '../src/core/log/store.js';
import type { ReceivedRecord, Verdict } from '../src/core/log/records.js';
import type { EventSink } from '../src/core/log/sink.js';
import { Receiver } from '../src/core/receive/receiver.js';
import { it, post, SECRET, signed, type Cleanup } from './support/index.js';
import { redis as startRedis, redisClient } from './support/redis.js';

async function redisSink(cleanups: Cleanup[]): Promise<{ sink: RedisSink; newest: () => Promise<string>; count: () => Promise<number> }> {
  const r = await startRedis(cleanups);
  const target = parseQueueUrl(r.url);
  const sink = new RedisSink(await connect(target), target, { retention: DEFAULT_RETENTION });
  cleanups.push(() => sink.close());
  const c = await redisClient(r.url);
  cleanups.push(c.close);
  return {
    sink,
    /** The newest history entry's JSON, as stored. */
    newest: async () => {
      const entries = await c.send<[string, string[]][]>(['XREVRANGE', '{etsyhook}:history', '+', '-', 'COUNT', '1']);
      return entries[0]![1][1]!;
    },
    count: () => c.send<number>(['XLEN', '{etsyhook}:history']),
  };
}

async function fileSink(cleanups: Cleanup[]): Promise<{ sink: FileSink; newest: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'etsyhook-dup-'));
  const { sink } = await FileSink.open(dir);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => sink.close());
  return {
    sink,
    newest: () => {
      const lines = readFileSync(logPath(dir), 'utf8').split('\n').filter((l) => l !== '');
      return lines.at(-1)!.split('\t')[0]!;
    },
  };
}

const reasonOf = (webhookId: string): string => `webhook-id ${webhookId} was already accepted`;

/** Receive `rec` twice in each sink: the second is the duplicate; both stored forms are returned. */
async function duplicateTwice(
  redis: Awaited<ReturnType<typeof redisSink>>,
  file: Awaited<ReturnType<typeof fileSink>>,
  rec: ReceivedRecord,
): Promise<{ inRedis: string; inFile: string; verdicts: Verdict[] }> {
  const verdicts: Verdict[] = [];
  verdicts.push(await redis.sink.receive(structuredClone(rec)));
  const again = structuredClone(rec);
  verdicts.push(await redis.sink.receive(again));
  // The receiver's record after the sink's answer carries the verdict and reason, as the file sink's does.
  expect(again).toMatchObject({ status: 'duplicate', reason: reasonOf(rec.webhookId!) });
  const inRedis = await redis.newest();
  await file.sink.receive(structuredClone(rec));
  await file.sink.receive(structuredClone(rec));
  return { inRedis, inFile: file.newest(), verdicts };
}

describe('the duplicate record written by the Redis script', () => {
  it('is byte for byte the record the receiver made, with the duplicate status and reason, as the file store writes it', async ({ cleanups }) => {
    const redis = await redisSink(cleanups);
    const file = await fileSink(cleanups);
    // Between the receiver and the Redis sink: each record as the sink got it (the receiver's own key order).
    const got: ReceivedRecord[] = [];
    const tee: EventSink = {
      receive: (rec) => {
        got.push(structuredClone(rec));
        return redis.sink.receive(rec);
      },
      attempt: (rec) => redis.sink.attempt(rec),
      health: () => redis.sink.health(),
      close: async () => {},
    };
    const receiver = await Receiver.start({ host: '127.0.0.1', port: 0, path: '/webhook', secret: SECRET, sink: tee });
    cleanups.push(() => receiver.close(1_000));
    const awkwardId = 'msg_"quoted"\\back\tslash_é';
    const events = [
      signed(),
      // A header that reads like the record's own field, before the top-level status in the JSON.
      { ...signed(), extra: { status: 'accepted', 'x-note': '"status":"accepted"' } },
      // Non-ASCII before the status (a Latin-1 header value) and after it (a UTF-8 body): byte offsets, not characters.
      { ...signed({ body: '{"event_type":"order.paid","note":"crème brûlée ☕ 𝄞","shop_id":1}' }), extra: { 'x-shop': 'Café Ümlaut' } },
      // A body that is not UTF-8 (kept as body64).
      signed({ body: Buffer.concat([Buffer.from('{"event_type":"order.paid","b":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]) }),
      // A webhook-id with quotes, a backslash and a tab (the reason must be escaped as JSON.stringify escapes it).
      signed({ id: awkwardId }),
    ];
    for (const ev of events) {
      const headers = { ...ev.headers, ...('extra' in ev ? ev.extra : {}) };
      const first = await post(receiver.url, { body: ev.body, headers });
      const second = await post(receiver.url, { body: ev.body, headers });
      expect(first.json().status, first.body).toBe('accepted');
      expect(second.json().status, second.body).toBe('duplicate');
      const rec = got.at(-1)!;
      expect(rec.status).toBe('accepted');
      const inRedis = await redis.newest();
      expect(inRedis).toBe(JSON.stringify({ ...rec, status: 'duplicate', reason: reasonOf(ev.id) }));
      // The file store's duplicate of the same record: the same bytes.
      await file.sink.receive(structuredClone(rec));
      const dupInFile = structuredClone(rec);
      await file.sink.receive(dupInFile);
      expect(dupInFile.status).toBe('duplicate');
      expect(inRedis).toBe(file.newest());
    }
    // Each one's duplicate went by the splice (a byte offset), not the whole record sent again. The tee copies each
    // record before the sink's verdict: every one, the first and its repeat, reached the sink as 'accepted'.
    expect(got.map((r) => r.status)).toEqual(Array(events.length * 2).fill('accepted'));
    for (const rec of got) expect(statusOffset(rec, JSON.stringify(rec))).toBeTypeOf('number');
    expect(got.some((r) => r.body64 !== undefined)).toBe(true);
    expect(got.some((r) => r.headers.status === 'accepted')).toBe(true);
    expect(await redis.count()).toBe(events.length * 2);
  });

  it('holds for any headers, body and webhook-id (property), and for records in another key order or with a reason', async ({ cleanups }) => {
    const redis = await redisSink(cleanups);
    const file = await fileSink(cleanups);
    let n = 0;
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(headerName, text, { maxKeys: 6 }),
        fc.oneof(fc.record({ body: text }), fc.record({ body64: fc.base64String({ maxLength: 40 }) }), fc.constant({})),
        text,
        fc.option(fc.array(text, { maxLength: 3 }), { nil: undefined }),
        fc.option(text, { nil: undefined }),
        async (headers, body, idPart, routes, forwardTo) => {
          const webhookId = `msg_${++n}_${idPart}`;
          // The receiver's key order: status after headers, the body and the signature's fields after it.
          const rec: ReceivedRecord = { kind: 'received', id: `evt_${n}`, at: new Date().toISOString(), method: 'POST', path: '/webhook', headers: { ...headers, 'webhook-id': webhookId }, status: 'accepted' };
          Object.assign(rec, body);
          rec.remote = '127.0.0.1';
          rec.type = 'order.paid';
          rec.scheme = 'standard';
          rec.webhookId = webhookId;
          if (forwardTo !== undefined) rec.forwardTo = forwardTo;
          if (routes !== undefined) rec.routes = routes;
          rec.httpStatus = 200;
          const { inRedis, inFile, verdicts } = await duplicateTwice(redis, file, rec);
          expect(verdicts).toEqual(['accepted', 'duplicate']);
          expect(inRedis).toBe(JSON.stringify({ ...rec, status: 'duplicate', reason: reasonOf(webhookId) }));
          expect(inRedis).toBe(inFile);
        },
      ),
      { numRuns: 60 },
    );
    // Not the receiver's shape: the whole duplicate record is sent instead, with the same result.
    const statusFirst = { status: 'accepted', kind: 'received', id: 'evt_sf', at: new Date().toISOString(), method: 'POST', path: '/webhook', headers: { status: 'accepted' }, webhookId: 'msg_status_first' } as ReceivedRecord;
    const withReason: ReceivedRecord = { kind: 'received', id: 'evt_wr', at: new Date().toISOString(), method: 'POST', path: '/webhook', headers: {}, status: 'accepted', reason: 'kept', webhookId: 'msg_with_reason', httpStatus: 200 };
    const headersAfter = { kind: 'received', id: 'evt_ha', status: 'accepted', at: new Date().toISOString(), method: 'POST', path: '/webhook', headers: { a: '{"status":"accepted"}', status: 'accepted' }, webhookId: 'msg_headers_after' } as ReceivedRecord;
    for (const rec of [statusFirst, withReason, headersAfter]) {
      expect(statusOffset(rec, JSON.stringify(rec))).toBeUndefined();
      const { inRedis, inFile } = await duplicateTwice(redis, file, rec);
      expect(inRedis).toBe(JSON.stringify({ ...rec, status: 'duplicate', reason: reasonOf(rec.webhookId!) }));
      expect(inRedis).toBe(inFile);
    }
  });
});
