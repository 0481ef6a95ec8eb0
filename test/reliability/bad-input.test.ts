// Reliability 3: the bad-input matrix. Each case asserts the status, that the receiver is still up (GET /health),
// and that the request was recorded with the right verdict and, when rejected, a reason. Then slow-loris (headers
// sent slowly: the connection is timed out while others are served) and 1,000 concurrent connections.
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import {
  type Answer, type Cleanup, type Dev, drain, generateSecret, healthy, it, legacySignature, newHome, nowSeconds, orderBody, raw, readStore,
  recordFigure, send, signHeaders, sleep, standardSignature, startDev, uniqueId, waitFor,
} from '../support/index.js';
import type { ReceivedRecord } from '../../src/core/log/records.js';

const MAX_BODY = 1024 * 1024; // the documented default of --max-body

let dev: Dev;
let h: string;
const secret = generateSecret();
const otherSecret = generateSecret();

// One receiver for the whole matrix: it must survive every case in turn.
const forWholeFile: Cleanup[] = [];
beforeAll(async () => {
  h = newHome(forWholeFile).dir;
  dev = await startDev(forWholeFile, [], { home: h, secret });
});
afterAll(() => drain(forWholeFile));

interface Case {
  name: string;
  status: number | number[];
  /** The verdict the record must carry (every case is recorded), or how it follows from the answer. */
  verdict: 'accepted' | 'rejected' | 'duplicate' | ((answer: Answer) => 'accepted' | 'rejected');
  /** For rejections: what the reason must mention. */
  reason?: RegExp;
  send: (name: string) => Promise<Answer>;
  /** Extra checks on the answer and the record. */
  check?: (answer: Answer, record: ReceivedRecord) => void;
}

const post = (name: string, body: Buffer | string, headers: Record<string, string>, path = '/webhook', method = 'POST'): Promise<Answer> =>
  send(`${dev.origin}${path}`, { method, body, headers: { ...headers, 'x-case': name } });

/** A correctly signed standard request, with `edit` applied to its headers. */
function std(edit: (hd: Record<string, string>, body: string) => void = () => {}, body = orderBody()): (name: string) => Promise<Answer> {
  return (name) => {
    const hd = signHeaders(secret, body);
    edit(hd, body);
    return post(name, body, hd);
  };
}

/** Standard headers signed over `body` with the timestamp string `ts` as given. */
function stdAt(ts: string, body = orderBody()): (name: string) => Promise<Answer> {
  return (name) => {
    const id = uniqueId();
    return post(name, body, { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': standardSignature(secret, id, ts, body) });
  };
}

function legacy(edit: (hd: Record<string, string>) => void = () => {}, body = orderBody()): (name: string) => Promise<Answer> {
  return (name) => {
    const ts = String(nowSeconds());
    const hd: Record<string, string> = { 'content-type': 'application/json', 'X-Etsy-Signature': legacySignature(secret, ts, body), 'X-Etsy-Timestamp': ts };
    edit(hd);
    return post(name, body, hd);
  };
}

/** A signed body of exactly `size` bytes that is valid JSON with an event_type. */
function jsonOfSize(size: number): string {
  const head = '{"event_type":"order.paid","shop_id":31415926,"pad":"';
  const tail = '"}';
  return head + 'x'.repeat(size - head.length - tail.length) + tail;
}

const SIG = /signature/i;
const dupId = uniqueId('msg_dup');
const dupBody = orderBody();

const cases: Case[] = [
  { name: 'valid standard event', status: 200, verdict: 'accepted', send: std() },
  { name: 'signed with another secret', status: 401, verdict: 'rejected', reason: SIG, send: std((hd, body) => (hd['webhook-signature'] = standardSignature(otherSecret, hd['webhook-id']!, hd['webhook-timestamp']!, body))) },
  { name: 'truncated signature', status: 401, verdict: 'rejected', reason: SIG, send: std((hd) => (hd['webhook-signature'] = hd['webhook-signature']!.slice(0, 20))) },
  { name: 'empty signature', status: 401, verdict: 'rejected', reason: /signature|missing/i, send: std((hd) => (hd['webhook-signature'] = '')) },
  { name: 'signature "v1," with nothing after it', status: 401, verdict: 'rejected', reason: SIG, send: std((hd) => (hd['webhook-signature'] = 'v1,')) },
  { name: 'signature not base64', status: 401, verdict: 'rejected', reason: SIG, send: std((hd) => (hd['webhook-signature'] = 'v1,!!!not*base64???')) },
  { name: 'v1a entry only', status: 401, verdict: 'rejected', reason: /version|v1/i, send: std((hd) => (hd['webhook-signature'] = `v1a,${hd['webhook-signature']!.slice(3)}`)) },
  { name: 'several signatures, one good', status: 200, verdict: 'accepted', send: std((hd) => (hd['webhook-signature'] = `v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1a,Zm9v ${hd['webhook-signature']} v2,YmFy`)) },
  { name: 'several signatures, none good', status: 401, verdict: 'rejected', reason: SIG, send: std((hd) => (hd['webhook-signature'] = 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1,Zm9vYmFy')) },
  { name: 'stale timestamp (10 min old)', status: 401, verdict: 'rejected', reason: /stale|old|tolerance/i, send: stdAt(String(nowSeconds() - 600)) },
  { name: 'future timestamp (10 min ahead)', status: 401, verdict: 'rejected', reason: /future|ahead/i, send: stdAt(String(nowSeconds() + 600)) },
  { name: 'timestamp in milliseconds', status: 401, verdict: 'rejected', reason: /future|ahead|timestamp/i, send: stdAt(String(Date.now())) },
  { name: 'non-numeric timestamp', status: 401, verdict: 'rejected', reason: /timestamp/i, send: stdAt('yesterday') },
  { name: 'fractional timestamp', status: 401, verdict: 'rejected', reason: /timestamp/i, send: stdAt(`${nowSeconds()}.5`) },
  { name: 'missing webhook-id', status: 401, verdict: 'rejected', reason: /webhook-id|missing/i, send: std((hd) => delete hd['webhook-id']) },
  { name: 'missing webhook-timestamp', status: 401, verdict: 'rejected', reason: /timestamp|missing/i, send: std((hd) => delete hd['webhook-timestamp']) },
  { name: 'missing webhook-signature', status: 401, verdict: 'rejected', reason: /signature|missing/i, send: std((hd) => delete hd['webhook-signature']) },
  { name: 'no signature headers at all', status: 401, verdict: 'rejected', reason: /missing|signature/i, send: (n) => post(n, orderBody(), { 'content-type': 'application/json' }) },
  { name: 'legacy scheme, valid', status: 200, verdict: 'accepted', send: legacy() },
  { name: 'legacy scheme, bad signature', status: 401, verdict: 'rejected', reason: SIG, send: legacy((hd) => (hd['X-Etsy-Signature'] = 'ab'.repeat(32))) },
  { name: 'legacy scheme, missing X-Etsy-Timestamp', status: 401, verdict: 'rejected', reason: /timestamp|missing/i, send: legacy((hd) => delete hd['X-Etsy-Timestamp']) },
  { name: 'legacy scheme, stale timestamp', status: 401, verdict: 'rejected', reason: /stale|old|tolerance/i, send: (n) => {
    const body = orderBody();
    const ts = String(nowSeconds() - 900);
    return post(n, body, { 'content-type': 'application/json', 'X-Etsy-Signature': legacySignature(secret, ts, body), 'X-Etsy-Timestamp': ts });
  } },
  { name: 'standard valid + legacy garbage (standard wins)', status: 200, verdict: 'accepted', send: std((hd) => Object.assign(hd, { 'X-Etsy-Signature': 'zz', 'X-Etsy-Timestamp': 'nope' })) },
  { name: 'standard invalid + legacy valid (standard wins)', status: 401, verdict: 'rejected', reason: SIG, send: (n) => {
    const body = orderBody();
    const hd = signHeaders(otherSecret, body);
    const ts = String(nowSeconds());
    return post(n, body, { ...hd, 'X-Etsy-Signature': legacySignature(secret, ts, body), 'X-Etsy-Timestamp': ts });
  } },
  { name: 'body not JSON', status: 400, verdict: 'rejected', reason: /json/i, send: std(() => {}, 'event_type=order.paid&shop_id=1') },
  { name: 'body JSON without event_type', status: 400, verdict: 'rejected', reason: /event_type/i, send: std(() => {}, '{"shop_id":31415926}') },
  { name: 'body a JSON array', status: 400, verdict: 'rejected', reason: /event_type|object|json/i, send: std(() => {}, '[{"event_type":"order.paid"}]') },
  { name: 'body empty', status: 400, verdict: 'rejected', reason: /json|empty|body/i, send: std(() => {}, '') },
  { name: 'body exactly the limit (1 MiB)', status: 200, verdict: 'accepted', send: std(() => {}, jsonOfSize(MAX_BODY)) },
  { name: 'body 1 byte over the limit', status: 413, verdict: 'rejected', reason: /large|limit|size|max/i, send: std(() => {}, jsonOfSize(MAX_BODY + 1)) },
  { name: 'body of 50 MB', status: 413, verdict: 'rejected', reason: /large|limit|size|max/i, send: (n) => post50MB(n) },
  {
    name: 'body not valid UTF-8',
    status: [200, 400],
    verdict: (a) => (a.status === 200 ? 'accepted' : 'rejected'),
    send: (n) => {
      const body = Buffer.concat([Buffer.from('{"event_type":"order.paid","shop_id":1,"note":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
      const hd = signHeaders(secret, body);
      return post(n, body, hd);
    },
    check: (a, rec) => {
      // Whatever the verdict, the exact bytes are kept (a body that is not UTF-8 is stored as base64).
      const stored = rec!.body64 !== undefined ? Buffer.from(rec!.body64, 'base64') : Buffer.from(rec!.body ?? '', 'utf8');
      expect(stored.subarray(-5).equals(Buffer.from([0xff, 0xfe, 0xc3, 0x22, 0x7d]))).toBe(true);
    },
  },
  { name: 'duplicate id: first delivery', status: 200, verdict: 'accepted', send: std((hd, body) => Object.assign(hd, signHeaders(secret, body, { id: dupId })), dupBody) },
  { name: 'duplicate id: Etsy retries it', status: 200, verdict: 'duplicate', send: std((hd, body) => Object.assign(hd, signHeaders(secret, body, { id: dupId })), dupBody) },
  { name: 'GET on the webhook path', status: 405, verdict: 'rejected', reason: /method/, send: (n) => send(dev.url, { method: 'GET', headers: { 'x-case': n } }) },
  { name: 'PUT on the webhook path', status: 405, verdict: 'rejected', reason: /method/, send: (n) => {
    const body = orderBody();
    return post(n, body, signHeaders(secret, body), '/webhook', 'PUT');
  } },
  { name: 'POST elsewhere', status: 404, verdict: 'rejected', reason: /not found/, send: (n) => post(n, orderBody(), signHeaders(secret, 'x'), '/not-the-webhook') },
];

/**
 * 50 MB on a raw socket, as fast as the receiver takes it: the receiver may answer 413 and close before reading it
 * all, which is its right, so the answer is read from whatever arrived before the connection ended.
 */
function post50MB(name: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const size = 50 * 1024 * 1024;
    const hd = signHeaders(secret, 'x');
    const head = `POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\nwebhook-id: ${hd['webhook-id']}\r\nwebhook-timestamp: ${hd['webhook-timestamp']}\r\nwebhook-signature: ${hd['webhook-signature']}\r\nx-case: ${name}\r\ncontent-length: ${size}\r\n\r\n`;
    const block = Buffer.alloc(256 * 1024, 0x61);
    const sock = connect(dev.port, '127.0.0.1');
    let got = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      sock.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (!m) {
        reject(new Error(`no answer to a 50 MB body before the connection ended (got ${JSON.stringify(got.slice(0, 100))})`));
        return;
      }
      const text = got.slice(got.indexOf('\r\n\r\n') + 4);
      resolve({ status: Number(m[1]), body: text, json: () => JSON.parse(text), ms: performance.now() - t0, headers: {} });
    };
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      // Done once the answer's body is complete (by its content-length), or when the connection ends.
      const end = got.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(got.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && Buffer.byteLength(got.slice(end + 4), 'latin1') >= Number(length)) finish();
    });
    sock.on('error', finish);
    sock.on('close', finish);
    let sent = 0;
    const pump = (): void => {
      while (!done && !sock.destroyed && sent < size) {
        sent += block.length;
        if (!sock.write(block)) {
          sock.once('drain', pump);
          return;
        }
      }
    };
    sock.on('connect', () => {
      sock.write(head);
      pump();
    });
    setTimeout(finish, 30_000);
  });
}

/** Write `data`, then close our side; resolve once both are on the wire. */
function hangUpAfter(port: number, data: string): Promise<void> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => sock.end(data, () => resolve()));
    sock.on('error', () => resolve());
  });
}

const results: string[] = [];

describe('bad-input matrix', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const a = await c.send(name);
    const expected = Array.isArray(c.status) ? c.status : [c.status];
    expect(expected, `status for '${name}' (body: ${a.body.slice(0, 200)})`).toContain(a.status);
    expect(await healthy(dev.origin), 'receiver still up').toBe(true);
    const rec = await waitFor(`the record of '${name}'`, () => readStore(h).received.find((r) => r.headers['x-case'] === name), 5000);
    const verdict = typeof c.verdict === 'function' ? c.verdict(a) : c.verdict;
    expect(rec.status).toBe(verdict);
    // A rejection says why (matching the case's pattern when it has one).
    expect(verdict === 'rejected' ? rec.reason : 'not rejected').toMatch(verdict === 'rejected' ? (c.reason ?? /\w/) : /^not rejected$/);
    c.check?.(a, rec);
    results.push(`${name} → ${a.status}`);
  });

  it('a request that is not HTTP gets 400 and the receiver stays up', async () => {
    const r = await raw(dev.port, ['HELLO THERE\r\n\r\n'], { waitMs: 3000 });
    expect(r.text).toMatch(/^HTTP\/1\.1 400/);
    expect(await healthy(dev.origin)).toBe(true);
    results.push('not HTTP → 400');
  });

  it('a client that hangs up mid-body does not hurt the receiver, and nothing is accepted', async () => {
    const name = 'aborted mid-body';
    const body = orderBody();
    const hd = signHeaders(secret, body);
    const head = `POST /webhook HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\nwebhook-id: ${hd['webhook-id']}\r\nwebhook-timestamp: ${hd['webhook-timestamp']}\r\nwebhook-signature: ${hd['webhook-signature']}\r\nx-case: ${name}\r\ncontent-length: ${body.length}\r\n\r\n`;
    // Head and 20 body bytes, then the client's close, in that order on the wire.
    await hangUpAfter(dev.port, head + body.slice(0, 20));
    // It is recorded, as a rejection that says what happened: not accepted, and not silently dropped either.
    const rec = await waitFor('the record of the cut-off request', () => readStore(h).received.find((r) => r.headers['x-case'] === name), 5000);
    expect(rec.status).toBe('rejected');
    expect(rec.reason).toMatch(/incomplete request/);
    expect(await healthy(dev.origin)).toBe(true);
    results.push('aborted mid-body → stays up, not accepted');
  });

  it('headers of 64 KB get 431 and the receiver stays up', async () => {
    // Headers only (no body to be cut off while the answer comes back), on a raw socket: the answer is read whole.
    const head = `POST /webhook HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\nx-big: ${'a'.repeat(64 * 1024)}\r\n\r\n`;
    const r = await raw(dev.port, [head], { waitMs: 10_000 });
    expect(r.closedByServer, 'answered and closed by the server').toBe(true);
    expect(r.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(await healthy(dev.origin)).toBe(true);
    results.push('64 KB of headers → 431');
  });

  it('slow-loris: headers dribbled in are timed out while other requests are served', async () => {
    const name = 'slow-loris';
    // One header byte every 500 ms, for at most 40 s: a server without a header timeout keeps this open for ever.
    const header = `POST /webhook HTTP/1.1\r\nHost: x\r\nx-case: ${name}\r\nx-slow: ${'a'.repeat(80)}`;
    const loris = raw(dev.port, [...header], { waitMs: 40_000, gapMs: 500 });
    const served: number[] = [];
    let lorisDone = false;
    void loris.then(() => (lorisDone = true));
    while (!lorisDone) {
      const body = orderBody();
      const a = await send(dev.url, { body, headers: signHeaders(secret, body), agent: new Agent() });
      served.push(a.status);
      await sleep(250); // pacing: ordinary traffic while the slow client dribbles
    }
    const r = await loris;
    expect(r.closedByServer, 'the server closed the slow connection').toBe(true);
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((s) => s === 200), `served meanwhile: ${served.join(',')}`).toBe(true);
    expect(await healthy(dev.origin)).toBe(true);
    results.push(`slow-loris → closed by the server after ${Math.round(r.ms / 1000)} s; ${served.length} requests served meanwhile`);
  }, 60_000);

  it('1,000 concurrent connections: all answered 200, all stored, still up', async () => {
    const N = 1000;
    const ids = new Set<string>();
    const statuses = await Promise.all(
      Array.from({ length: N }, async () => {
        const body = orderBody();
        const hd = signHeaders(secret, body);
        ids.add(hd['webhook-id']!);
        try {
          return (await send(dev.url, { body, headers: hd, agent: false, timeoutMs: 60_000 })).status;
        } catch (err) {
          return String((err as Error).message);
        }
      }),
    );
    const counts: Record<string, number> = {};
    for (const s of statuses) counts[String(s)] = (counts[String(s)] ?? 0) + 1;
    expect(counts).toEqual({ '200': N });
    expect(await healthy(dev.origin)).toBe(true);
    const stored = readStore(h).received.filter((r) => r.webhookId && ids.has(r.webhookId) && r.status === 'accepted');
    expect(stored.length).toBe(N);
    results.push(`1,000 concurrent connections → 1,000 × 200, 1,000 stored`);
  }, 90_000);

  it('the receiver is still up and the store reads cleanly after the whole matrix', async () => {
    expect(await healthy(dev.origin)).toBe(true);
    expect(readStore(h).bad).toBe(0);
    expect(dev.child.exitCode).toBeNull();
    recordFigure('3. bad-input matrix', `${results.length} cases, each with its status, receiver up after each, recorded with its verdict and reason: ${results.join('; ')}`);
  });
});
