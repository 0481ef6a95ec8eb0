// `etsyhook dev` through the built CLI: every answer, what is recorded, the secret, the terminal and --json.
import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect } from 'vitest';
import { cleanEnv, configFileMode, it, newHome, post, readConfig, readStore, runCli, SECRET, send, signed, startCli, startDev, waitFor } from './support/index.js';

describe('dev answers', () => {
  it('200 with the stored id for a signed event, only once it is on disk', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    const ev = signed();
    const res = await post(dev.url, ev);
    expect(res.status).toBe(200);
    const answer = res.json();
    expect(answer.status).toBe('accepted');
    expect(typeof answer.id).toBe('string');
    // The 200 came after the write: the record is readable now, with the exact bytes.
    const rec = dev.store().received.find((r) => r.id === answer.id);
    expect(rec).toBeDefined();
    expect(rec!.status).toBe('accepted');
    expect(rec!.type).toBe('order.paid');
    expect(rec!.webhookId).toBe(ev.id);
    expect(rec!.body).toBe(ev.body.toString());
    expect(rec!.headers['webhook-signature']).toBe(ev.headers['webhook-signature']);
  });

  it('401 with the reason for bad, missing and stale signatures, each recorded', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    const good = signed();
    const bad = await post(dev.url, { body: good.body, headers: { ...good.headers, 'webhook-signature': 'v1,AAAA' } });
    expect(bad.status).toBe(401);
    expect(bad.json().error).toMatch(/no matching signature/);
    const missing = await send(dev.url, { body: good.body, headers: { 'content-type': 'application/json' } });
    expect(missing.status).toBe(401);
    expect(missing.json().error).toMatch(/missing signature headers/);
    const stale = await post(dev.url, signed({ timestamp: Math.floor(Date.now() / 1000) - 3600 }));
    expect(stale.status).toBe(401);
    expect(stale.json().reason).toBe('stale_timestamp');
    const wrongSecret = await post(dev.url, signed({ secret: 'whsec_' + Buffer.alloc(32, 7).toString('base64') }));
    expect(wrongSecret.status).toBe(401);
    const rejected = dev.store().received.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(4);
    expect(rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/no matching signature/),
      expect.stringMatching(/missing signature headers/),
      expect.stringMatching(/stale timestamp/),
      expect.stringMatching(/no matching signature/),
    ]);
    // The bytes of a rejected request are kept, to debug the mismatch.
    expect(rejected[0]!.body).toBe(good.body.toString());
  });

  it('accepts the legacy X-Etsy-Signature scheme, and --scheme standard refuses it', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    expect((await post(dev.url, signed({ scheme: 'legacy' }))).status).toBe(200);
    const strict = await startDev(cleanups, ['--scheme', 'standard']);
    const res = await post(strict.url, signed({ scheme: 'legacy' }));
    expect(res.status).toBe(401);
    expect(res.json().error).toMatch(/missing header webhook-id/);
  });

  it('400 for a signed body that is not JSON or has no event_type', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    const notJson = await post(dev.url, signed({ body: 'hello' }));
    expect(notJson.status).toBe(400);
    expect(notJson.json().error).toBe('body is not JSON');
    const noType = await post(dev.url, signed({ body: '{"shop_id": 1}' }));
    expect(noType.status).toBe(400);
    expect(noType.json().error).toMatch(/no event_type/);
    // Each record keeps the answer given, for `events` and `tail`.
    const reasons = dev.store().received.map((r) => [r.status, r.httpStatus, r.reason]);
    expect(reasons).toEqual([
      ['rejected', 400, 'body is not JSON'],
      ['rejected', 400, expect.stringMatching(/no event_type/)],
    ]);
  });

  it("the banner counts attempts in words: '1 attempt: at once'", async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--forward-to', 'http://127.0.0.1:9/hooks', '--max-attempts', '1']);
    expect(dev.stderr()).toMatch(/\(timeout 30 s, 1 attempt: at once\)/);
  });

  it('413 over --max-body, answered early without reading a 50 MB body, and keeps serving', async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--max-body', '1kb']);
    const big = JSON.stringify({ event_type: 'order.paid', pad: 'x'.repeat(1100) });
    const over = await post(dev.url, signed({ body: big }));
    expect(over.status).toBe(413);
    // The size and the limit, each said as such (not "1138 bytes over the 1024-byte limit").
    expect(over.json().error).toBe(`body too large: ${Buffer.byteLength(big)} bytes; the limit is 1024 bytes (--max-body)`);

    // 50 MB announced: the 413 comes back before the body is sent, and the server does not wait for it.
    // (A raw socket, so the test reads the answer itself instead of racing a client that is still writing.)
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect(dev.port, '127.0.0.1');
      let got = '';
      sock.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) {
          sock.destroy();
          resolve(got);
        }
      });
      sock.on('error', reject);
      sock.write(`POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`);
      sock.write(Buffer.alloc(64 * 1024, 0x20));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);

    // Chunked, no content-length: cut off once over the limit.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(dev.url, { method: 'POST', agent: false }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      req.on('error', reject);
      req.write('x'.repeat(800));
      req.write('x'.repeat(800));
      req.end();
    });
    expect(chunked).toBe(413);
    expect((await post(dev.url, signed())).status).toBe(200);
    const rejected = dev.store().received.filter((r) => r.reason?.startsWith('body too large'));
    expect(rejected).toHaveLength(3);
    expect(rejected.every((r) => r.body === undefined && r.body64 === undefined)).toBe(true);
  });

  it('records a request cut off mid-body, and reads event_type past a UTF-8 byte-order mark', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    const sock = connect(dev.port, '127.0.0.1');
    // The bytes, then the close, in that order on the wire: no pause needed for the receiver to read them first.
    sock.end('POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"event');
    await waitFor('the incomplete request record', () => dev.store().received.length === 1, 5000);
    expect(dev.store().received[0]).toMatchObject({ status: 'rejected', reason: 'incomplete request: the connection closed after 7 of 100 body bytes', body: '{"event' });
    const bom = signed({ body: '\ufeff{"event_type":"order.paid"}' });
    const res = await post(dev.url, bom);
    expect(res.status).toBe(200);
    expect(dev.store().received[1]!.body).toBe('\ufeff{"event_type":"order.paid"}');
  });

  it('405 for other methods on the path, 404 elsewhere, /health answers', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    const get = await send(dev.url, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const put = await send(dev.url, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    const missing = await send(`http://127.0.0.1:${dev.port}/hooks`, { body: '{}' });
    expect(missing.status).toBe(404);
    expect(missing.json().error).toMatch(/\/webhook/);
    const health = await send(`http://127.0.0.1:${dev.port}/health`, { method: 'GET' });
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ status: 'healthy', path: '/webhook', received: 3, rejected: 3 });
    // Recorded with their method and path, so a wrong URL in the portal shows up in `events`.
    expect(dev.store().received.map((r) => `${r.method} ${r.path} ${r.status} ${r.httpStatus}`)).toEqual(['GET /webhook rejected 405', 'PUT /webhook rejected 405', 'POST /hooks rejected 404']);
  });

  it('--path changes where webhooks are received; a query string is fine', async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--path', 'etsy/hooks']);
    expect((await post(`http://127.0.0.1:${dev.port}/etsy/hooks?source=etsy`, signed())).status).toBe(200);
    expect((await post(`http://127.0.0.1:${dev.port}/webhook`, signed())).status).toBe(404);
  });

  it('503 when the store cannot write (disk full), never a 2xx for an unstored event', async ({ cleanups }) => {
    const h = newHome(cleanups);
    const { mkdirSync, symlinkSync } = await import('node:fs');
    const { join } = await import('node:path');
    mkdirSync(join(h.dir, 'events'), { recursive: true });
    // Every write to /dev/full fails with ENOSPC: a disk that is full from the start.
    symlinkSync('/dev/full', join(h.dir, 'events', 'events.ndjson'));
    const dev = await startDev(cleanups, [], { home: h });
    const res = await post(dev.url, signed());
    expect(res.status).toBe(503);
    expect(res.json().error).toMatch(/cannot write the event store.*not stored/);
    expect(res.headers['retry-after']).toBe('5');
    // A rejected request keeps its own answer: the verdict does not depend on the disk.
    expect((await send(dev.url, { body: '{}' })).status).toBe(401);
    const health = await send(`http://127.0.0.1:${dev.port}/health`, { method: 'GET' });
    // /health (liveness) says so, with the reason, and stays 200; /ready is the 503 a load balancer acts on.
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ status: 'healthy', ready: false, reason: expect.stringMatching(/ENOSPC|no space/i), accepted: 0, unstored: 2 });
    const ready = await send(`http://127.0.0.1:${dev.port}/ready`, { method: 'GET' });
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not ready', reason: expect.stringMatching(/ENOSPC|no space/i) });
    await waitFor('the 503 line', () => /unstored +503/.test(dev.stderr()), 5000);
  });
});

describe('dev duplicates and filters', () => {
  it('a webhook-id already accepted is answered 200 again and recorded as a duplicate', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    const ev = signed();
    const first = await post(dev.url, ev);
    const again = await post(dev.url, ev);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.json().status).toBe('duplicate');
    expect(dev.store().received.map((r) => r.status)).toEqual(['accepted', 'duplicate']);
  });

  it('remembers accepted ids across a restart', async ({ cleanups }) => {
    const h = newHome(cleanups);
    const ev = signed();
    const a = await startDev(cleanups, [], { home: h });
    expect((await post(a.url, ev)).status).toBe(200);
    expect(await a.stop('SIGTERM')).toBe(0);
    const b = await startDev(cleanups, [], { home: h });
    expect((await post(b.url, ev)).json().status).toBe('duplicate');
  });

  it('--events: other types get 200 and are stored as ignored', async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--events', 'order.*,listing.created']);
    expect((await post(dev.url, signed({ type: 'order.shipped' }))).json().status).toBe('accepted');
    expect((await post(dev.url, signed({ type: 'listing.created' }))).status).toBe(200);
    const ignored = await post(dev.url, signed({ type: 'shop.updated' }));
    expect(ignored.status).toBe(200);
    expect(ignored.json().status).toBe('ignored');
    expect(dev.store().received.map((r) => `${r.type}:${r.status}`)).toEqual(['order.shipped:accepted', 'listing.created:accepted', 'shop.updated:ignored']);
  });

  it('warns about an --events name that is not a known type', async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--events', 'order.payed']);
    expect(dev.stderr()).toMatch(/'order\.payed' is not a known event type \(did you mean order\.paid/);
  });
});

describe('dev secret', () => {
  it('with none anywhere, creates one, stores it 0600, prints it in full once, then reuses it masked', async ({ cleanups }) => {
    const h = newHome(cleanups);
    const first = await startDev(cleanups, [], { home: h, secret: null });
    const stored = readConfig(h.dir).webhookSecret as string;
    expect(stored).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(configFileMode(h.dir)).toBe(0o600);
    expect(first.stderr()).toContain(stored);
    // It works: a delivery signed with it is accepted.
    expect((await post(first.url, signed({ secret: stored }))).status).toBe(200);
    expect(await first.stop('SIGINT')).toBe(130);

    const second = await startDev(cleanups, [], { home: h, secret: null });
    expect(readConfig(h.dir).webhookSecret).toBe(stored);
    expect(second.stderr()).not.toContain(stored);
    expect(second.stderr()).toMatch(/whsec_\S{4}…\S{4}/);
    expect((await post(second.url, signed({ secret: stored }))).status).toBe(200);
  });

  it('--print-secret prints only the secret and exits; the same one dev then uses', async ({ home: h }) => {
    const env = cleanEnv(h.dir);
    const r = await runCli(['dev', '--print-secret'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^whsec_[A-Za-z0-9+/=]+\n$/);
    const again = await runCli(['dev', '--print-secret'], { env });
    expect(again.stdout).toBe(r.stdout);
    const fromEnv = await runCli(['dev', '--print-secret'], { env: { ...env, ETSY_WEBHOOK_SECRET: SECRET } });
    expect(fromEnv.stdout).toBe(`${SECRET}\n`);
  });

  it('ETSY_WEBHOOK_SECRET is used and never shown in full', async ({ cleanups }) => {
    const dev = await startDev(cleanups, [], { env: { ETSY_WEBHOOK_SECRET: SECRET }, secret: null });
    expect(dev.stderr()).not.toContain(SECRET);
    expect(dev.stderr()).toContain('whsec_MfKQ…LaSw');
    expect((await post(dev.url, signed())).status).toBe(200);
  });
});

describe('dev terminal', () => {
  it('prints the banner and one line per request; SIGINT stops with exit 130', async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--events', 'order.*']);
    const err = dev.stderr();
    expect(err).toContain(`Local    http://127.0.0.1:${dev.port}/webhook`);
    expect(err).toMatch(/Public +none \(--no-tunnel\)/);
    expect(err).toMatch(/Events +order\.\*/);
    expect(err).toMatch(/Ctrl-C/);
    const ok = (await post(dev.url, signed())).json().id as string;
    await post(dev.url, signed({ body: 'nope' }));
    await waitFor('request lines', () => dev.stderr().includes('body is not JSON'), 5000);
    const lines = dev.stderr().split('\n');
    expect(lines.find((l) => l.includes(ok))).toMatch(/^\d\d:\d\d:\d\d +accepted +200 +order\.paid +evt_/);
    expect(lines.find((l) => l.includes('body is not JSON'))).toMatch(/rejected +400/);
    expect(dev.stdout()).toBe('');
    expect(await dev.stop('SIGINT')).toBe(130);
    expect(dev.stderr()).toMatch(/stopped: 2 received \(1 accepted, 1 rejected/);
  });

  it("a line shows the request's own time (as events list and tail do), even when the disk is slow to answer", async ({ cleanups }) => {
    const preload = pathToFileURL(fileURLToPath(new URL('./preload/datasync.mjs', import.meta.url))).href;
    const dev = await startDev(cleanups, [], { home: newHome(cleanups), env: { NODE_OPTIONS: `--import=${preload}`, TEST_DATASYNC: 'slow' } });
    const res = await post(dev.url, signed());
    const id = res.json().id as string;
    await waitFor('the line', () => dev.stderr().includes(id), 5000);
    const at = new Date(dev.store().received.find((r) => r.id === id)!.at);
    const hms = [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    const line = dev.stderr().split('\n').find((l) => l.includes(id))!;
    // The answer came more than a second after the arrival: the clock at print time would show a later second.
    expect(line.slice(0, 8)).toBe(hms);
  });

  it('--json writes one NDJSON object per request on stdout', async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--json']);
    const ev = signed();
    const id = (await post(dev.url, ev)).json().id;
    await post(dev.url, { body: ev.body, headers: { ...ev.headers, 'webhook-signature': 'v1,AAAA' } });
    await waitFor('two NDJSON lines', () => dev.stdout().split('\n').filter(Boolean).length >= 2, 5000);
    expect(await dev.stop('SIGTERM')).toBe(0);
    const lines = dev.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ kind: 'received', id, httpStatus: 200, status: 'accepted', type: 'order.paid', webhookId: ev.id });
    expect(typeof lines[0]!.at).toBe('string');
    expect(lines[1]).toMatchObject({ kind: 'received', httpStatus: 401, status: 'rejected', reason: expect.stringMatching(/no matching signature/) });
  });

  it('port in use: one line suggesting --port, exit 1', async ({ cleanups, home: h }) => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const port = (blocker.address() as { port: number }).port;
    const r = await runCli(['dev', '--no-tunnel', '--port', String(port), '--secret', SECRET], { env: cleanEnv(h.dir) });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`error: port ${port} on 127.0.0.1 is already in use; choose another with --port, e.g. --port ${port + 1}`]);
  });

  it('bad flags are usage errors (exit 2) naming the flag', async ({ home: h }) => {
    const env = cleanEnv(h.dir);
    for (const [args, pattern] of [
      [['--port', 'abc'], /--port must be a whole number/],
      [['--max-body', 'lots'], /--max-body must be a size/],
      [['--forward-to', 'ftp://x'], /--forward-to must be an http or https URL/],
      [['--scheme', 'v2'], /--scheme must be one of standard, legacy, got 'v2'/],
      [['--max-attempts', '0'], /--max-attempts must be a whole number from 1/],
      [['--forward-timeout', 'soon'], /--forward-timeout must be a duration/],
    ] as const) {
      const r = await runCli(['dev', '--no-tunnel', ...args], { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(pattern);
    }
  });

  it('works with no config at all and stays up under slow-loris while serving others', async ({ cleanups }) => {
    const dev = await startDev(cleanups, [], { secret: null });
    // A client that sends half a request line and then nothing.
    const slow = connect(dev.port, '127.0.0.1');
    cleanups.push(() => slow.destroy());
    let answer = '';
    slow.on('data', (d: Buffer) => (answer += d.toString()));
    slow.write('POST /webhook HTTP/1.1\r\nHost: x\r\n');
    const secret = readConfig(dev.home).webhookSecret as string;
    expect((await post(dev.url, signed({ secret }))).status).toBe(200);
    const closed = await new Promise<boolean>((resolve) => {
      slow.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 15_000);
    });
    expect(closed).toBe(true);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect((await post(dev.url, signed({ secret }))).status).toBe(200);
  }, 30_000);
});

describe('the store after a crash', () => {
  it('a torn final record is skipped with a warning; the receiver appends after it cleanly', async ({ cleanups }) => {
    const h = newHome(cleanups);
    const a = await startDev(cleanups, [], { home: h });
    const id = (await post(a.url, signed())).json().id as string;
    await a.stop('SIGKILL');
    const { appendFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    appendFileSync(join(h.dir, 'events', 'events.ndjson'), '{"kind":"received","id":"evt_torn","at":"2026-');
    const b = await startDev(cleanups, [], { home: h });
    expect(b.stderr()).toMatch(/skipped a record cut short at the end of .*events\.ndjson \(byte \d+\): a write torn by a crash, never acknowledged/);
    const id2 = (await post(b.url, signed())).json().id as string;
    const ids = readStore(h.dir).records.map((r) => r.id);
    expect(ids).toEqual([id, id2]);
  });
});

void startCli;
