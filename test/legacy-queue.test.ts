// --legacy-queue: the seed chapter's queue. Each accepted payload is LPUSHed as Python's json.dumps writes it, so
// the chapter's own WebhookQueue/WebhookWorker (run with Debian's python3 and python3-redis) consume it unchanged
// and acknowledge() finds every entry.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { pythonJsonDumps } from '../src/core/queue/python-json.js';
import { it, post, signed, tempHome } from './support/index.js';
import { redis, redisClient, serve } from './support/redis.js';
import { needShared } from './support/shared.js';

const PYTHON = '/usr/bin/python3';

/** Python's own json.dumps(json.loads(text)) for each text (one process for all). */
function pythonDumps(texts: string[]): string[] {
  const r = spawnSync(PYTHON, ['-c', 'import json,sys\nfor t in json.load(sys.stdin): print(json.dumps(json.dumps(json.loads(t))))'], {
    input: JSON.stringify(texts),
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as string);
}

const TRICKY = [
  '{"event_type":"order.paid","shop_id":12345678,"resource_id":3000000001}',
  '{"b":1,"10":2,"a":3,"2":4}',
  '{"k":1,"x":0,"k":2}',
  '[1.0, 1e16, 1e15, 1E-5, 0.0001, 0.1, -0.0, -0, 2.5e-300, 1e400, -1e400, 123456789012345678901234567890, 1.7976931348623157e308, 5e-324, 100.0, 0.30000000000000004]',
  '{"s":"Café ☕ 😀 \\ud83d\\ude00 \\ud800 lone","c":"\\u0000\\u0001\\u001f\\u007f\\u0080","e":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"}',
  ' { "nested" : { "a" : [ true , false , null , { } , [ ] ] } } ',
  '"just a string"',
  '-12.50e+3',
];

describe('pythonJsonDumps', () => {
  it('matches /usr/bin/python3 json.dumps(json.loads(…)) on tricky payloads', () => {
    expect(TRICKY.map(pythonJsonDumps)).toEqual(pythonDumps(TRICKY));
  });

  it('matches Python on random JSON (any Unicode, any double)', () => {
    const texts = fc.sample(
      fc.oneof(
        fc.json({ stringUnit: 'binary', maxDepth: 4 }),
        fc.array(fc.double({ noNaN: true }), { maxLength: 8 }).map((xs) => `[${xs.map((x) => (Number.isFinite(x) ? String(x) : x > 0 ? '1e999' : '-1e999')).join(',')}]`),
        fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 6 }), fc.integer()), { maxLength: 6 }).map((kv) => `{${kv.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
      ),
      { numRuns: 400, seed: 42 },
    );
    expect(texts.map(pythonJsonDumps)).toEqual(pythonDumps(texts));
  });
});

/** The chapter's etsy_client/webhooks.py (WebhookEvent) and webhook_server/queue_handler.py, as printed. */
function chapterModules(dir: string, chapter: string): void {
  const text = readFileSync(chapter, 'utf8');
  const section = (start: string, end: string): string => {
    const a = text.indexOf(start);
    const b = text.indexOf(end, a);
    expect(a, `the chapter has ${start}`).toBeGreaterThan(-1);
    expect(b).toBeGreaterThan(a);
    return text.slice(a, b);
  };
  mkdirSync(join(dir, 'etsy_client'), { recursive: true });
  writeFileSync(join(dir, 'etsy_client', '__init__.py'), '');
  writeFileSync(join(dir, 'etsy_client', 'webhooks.py'), section('# etsy_client/webhooks.py', 'class WebhookVerifier'));
  writeFileSync(join(dir, 'queue_handler.py'), section('# webhook_server/queue_handler.py', 'Notification Integration'));
}

describe('serve --legacy-queue with the chapter\'s worker', () => {
  it('the chapter\'s WebhookWorker drains the list and leaves nothing in :processing', async ({ cleanups, home: h, skip }) => {
    const chapter = needShared(skip, 'seeds/etsy-webhooks-chapter.txt');
    const r = await redis(cleanups);
    const { url } = await serve(cleanups, r, h, ['--legacy-queue', 'etsy_webhooks']);
    const bodies = [
      '{"event_type":"order.paid","shop_id":12345678,"resource_id":3000000001,"timestamp":1733230000}',
      '{"event_type": "order.shipped", "10": "x", "price": 1.0, "n": [1e16, 1e-5, -0.0, 123456789012345678901234567890], "note": "Café ☕ 😀", "ctl": "\\u0001\\u007f"}',
      '{"event_type":"order.paid","k":1,"k":2}',
    ];
    for (const body of bodies) expect((await post(url, signed({ body }))).status).toBe(200);
    const dup = signed({ body: bodies[0]! });
    await post(url, dup);
    expect((await post(url, dup)).status).toBe(200); // a duplicate: not pushed twice
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    const listed = await c.send<string[]>(['LRANGE', 'etsy_webhooks', '0', '-1']);
    expect(listed.length).toBe(4);
    expect([...listed].reverse()).toEqual(pythonDumps([...bodies, bodies[0]!]));

    const py = tempHome();
    cleanups.push(py.cleanup);
    chapterModules(py.dir, chapter);
    const driver = `
import json, sys
sys.path.insert(0, ${JSON.stringify(py.dir)})
from queue_handler import WebhookQueue, WebhookWorker
class Dispatcher:
    def __init__(self): self.events = []
    def dispatch(self, event): self.events.append(event.payload)
q = WebhookQueue(redis_url=${JSON.stringify(r.url)}, queue_name="etsy_webhooks")
d = Dispatcher()
w = WebhookWorker(q, d)
while q.queue_length() > 0:
    w.process_one()
print(json.dumps({"dispatched": [e["event_type"] for e in d.events], "processing": q.redis.llen(q.processing_queue), "dead": q.redis.llen(q.dead_letter_queue), "left": q.queue_length()}))
`;
    const run = spawnSync(PYTHON, ['-c', driver], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual({
      dispatched: ['order.paid', 'order.shipped', 'order.paid', 'order.paid'],
      processing: 0,
      dead: 0,
      left: 0,
    });
  });

  it('a --legacy-queue key that is not a list: 503 naming it, and nothing half-kept (the retry is accepted once fixed)', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    await c.send(['SET', 'etsy_webhooks', 'not a list']);
    const s = await serve(cleanups, r, h, ['--legacy-queue', 'etsy_webhooks']);
    const ev = signed();
    const refused = await post(s.url, ev);
    expect(refused.status).toBe(503);
    expect(refused.json().error).toMatch(/the --legacy-queue key holds a string, not a list/);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(0);
    await c.send(['DEL', 'etsy_webhooks']);
    const again = await post(s.url, ev);
    expect(again.status).toBe(200);
    expect(again.json().status).toBe('accepted'); // not a duplicate: the failed write left the webhook-id free
    expect(await c.send<number>(['LLEN', 'etsy_webhooks'])).toBe(1);
  });
});
