// `etsyhook dev --forward-to`: exact bytes and headers to the app, retries with backoff, dead letters, duplicates,
// a slow target that never delays acknowledgements, and pending deliveries resumed after a restart.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './helpers.js';
import { home, post, SECRET, signed, startDev, waitFor, type Cleanup } from './dev-harness.js';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Got {
  headers: IncomingHttpHeaders;
  body: Buffer;
  url: string;
}

/** The app under development: records what arrives; answers `status` (or never, with hang). */
async function app(options: { port?: number; status?: number | ((n: number) => number); hang?: boolean } = {}): Promise<{ port: number; url: string; got: Got[]; close: () => Promise<void> }> {
  const got: Got[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks), url: req.url ?? '' });
      if (options.hang) return;
      const status = typeof options.status === 'function' ? options.status(got.length) : (options.status ?? 200);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'app says no');
    });
  });
  const port = options.port ?? 0;
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const close = (): Promise<void> =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  cleanups.push(close);
  return { port: actual, url: `http://127.0.0.1:${actual}/hooks/etsy`, got, close };
}

describe('dev --forward-to', () => {
  it('sends the exact bytes and headers: the app verifies them with the standardwebhooks library', async () => {
    const target = await app();
    const dev = await startDev(cleanups, ['--forward-to', target.url]);
    // JSON.parse/stringify would change all of this: spacing, key order, 1.0, \u escapes, a big integer.
    const raw = '{ "shop_id":12345678 ,"event_type" : "order.paid",\n "total": 1.0, "note": "caf\\u00e9 ☕", "receipt_id": 98765432109876543210 }';
    const ev = signed({ body: raw });
    const res = await post(dev.url, { body: ev.body, headers: { ...ev.headers, 'x-custom-trace': 'abc123', 'user-agent': 'Etsy-Webhooks/1.0' } });
    expect(res.status).toBe(200);
    await waitFor(() => target.got.length === 1, 10_000, 'the forwarded request');
    const got = target.got[0]!;
    expect(got.url).toBe('/hooks/etsy');
    expect(got.body.equals(ev.body)).toBe(true);
    expect(got.headers['webhook-id']).toBe(ev.id);
    expect(got.headers['webhook-signature']).toBe(ev.headers['webhook-signature']);
    expect(got.headers['x-custom-trace']).toBe('abc123');
    expect(got.headers['user-agent']).toBe('Etsy-Webhooks/1.0');
    expect(got.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(got.headers['x-etsyhook-attempt']).toBe('1');
    expect(got.headers.host).toBe(`127.0.0.1:${target.port}`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(got.headers)) if (typeof v === 'string') headers[k] = v;
    expect(() => new Webhook(SECRET).verify(got.body, headers)).not.toThrow();

    await waitFor(() => dev.deliveries().length === 1, 5000, 'the delivery record');
    expect(dev.deliveries()[0]).toMatchObject({ id: res.json().id, target: target.url, attempt: 1, httpStatus: 200, status: 'delivered', response: { body: 'ok' } });
    expect(dev.received()[0]!.forwardTo).toBe(target.url);
    await waitFor(() => /→ 200 \d+ ms +order\.paid/.test(dev.proc.stderr()), 5000, 'the delivery line');
  });

  it('retries a target that is down, with backoff, until it comes back', async () => {
    const port = await freePort();
    const dev = await startDev(cleanups, ['--forward-to', `http://127.0.0.1:${port}/hooks`, '--max-attempts', '20'], { env: { ETSYHOOK_FORWARD_BACKOFF_MS: '100' } });
    const res = await post(dev.url, signed());
    expect(res.status).toBe(200);
    await waitFor(() => dev.deliveries().length >= 2, 10_000, 'two failed attempts');
    expect(dev.deliveries()[0]).toMatchObject({ attempt: 1, status: 'failed', error: 'connection refused' });
    const target = await app({ port });
    await waitFor(() => dev.deliveries().some((d) => d.status === 'delivered'), 15_000, 'delivery once the app is back');
    expect(target.got).toHaveLength(1);
    const attempts = dev.deliveries();
    expect(attempts.map((d) => d.attempt)).toEqual(attempts.map((_, i) => i + 1));
    expect(attempts.at(-1)).toMatchObject({ status: 'delivered', httpStatus: 200 });
    expect(target.got[0]!.headers['x-etsyhook-attempt']).toBe(String(attempts.length));
    expect(dev.proc.stderr()).toMatch(/connection refused .*attempt 1\/20, retry in/);
    // The circuit breaker says what it does, both ways.
    expect(dev.proc.stderr()).toMatch(/is not answering: holding deliveries \(stored, not dropped\)/);
    await waitFor(() => /the app answers again/.test(dev.proc.stderr()), 5000, 'the resume line');
  });

  it('marks an event dead after --max-attempts; non-2xx answers count as failures', async () => {
    const target = await app({ status: 500 });
    const dev = await startDev(cleanups, ['--forward-to', target.url, '--max-attempts', '3', '--json'], { env: { ETSYHOOK_FORWARD_BACKOFF_MS: '50' } });
    const id = (await post(dev.url, signed())).json().id;
    await waitFor(() => dev.deliveries().some((d) => d.status === 'dead'), 10_000, 'a dead letter');
    await new Promise((r) => setTimeout(r, 300));
    expect(dev.deliveries().map((d) => [d.attempt, d.httpStatus, d.status, d.response?.body])).toEqual([
      [1, 500, 'failed', 'app says no'],
      [2, 500, 'failed', 'app says no'],
      [3, 500, 'dead', 'app says no'],
    ]);
    expect(target.got).toHaveLength(3);
    // --json: one line per delivery attempt, after the request's line.
    await waitFor(() => dev.proc.stdout().trim().split('\n').length === 4, 5000, 'NDJSON lines');
    const lines = dev.proc.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.kind)).toEqual(['received', 'delivery', 'delivery', 'delivery']);
    expect(lines[1]).toMatchObject({ kind: 'delivery', id, type: 'order.paid', attempt: 1, httpStatus: 500, status: 'failed' });
    expect(typeof lines[1]!.retryInMs).toBe('number');
    expect(lines[3]).toMatchObject({ attempt: 3, status: 'dead' });
  });

  it('does not forward a duplicate or an ignored event', async () => {
    const target = await app();
    const dev = await startDev(cleanups, ['--forward-to', target.url, '--events', 'order.*']);
    const ev = signed();
    expect((await post(dev.url, ev)).status).toBe(200);
    expect((await post(dev.url, ev)).json().status).toBe('duplicate');
    expect((await post(dev.url, signed({ type: 'listing.updated' }))).json().status).toBe('ignored');
    await waitFor(() => dev.deliveries().length === 1, 5000, 'one delivery');
    await new Promise((r) => setTimeout(r, 300));
    expect(target.got).toHaveLength(1);
    expect(dev.deliveries()).toHaveLength(1);
  });

  it('a hung target never delays acknowledgements; the attempt times out after --forward-timeout', async () => {
    const target = await app({ hang: true });
    const dev = await startDev(cleanups, ['--forward-to', target.url, '--forward-timeout', '1s', '--max-attempts', '1']);
    const started = Date.now();
    for (let i = 0; i < 40; i++) expect((await post(dev.url, signed())).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    // The first attempts (up to the forwarder's concurrency) time out; the circuit breaker then holds the rest
    // back and probes one at a time, so a hung app is not sent 40 requests at once.
    await waitFor(() => dev.deliveries().length >= 16, 10_000, 'the first attempts to time out');
    expect(new Set(dev.deliveries().map((d) => d.status))).toEqual(new Set(['dead']));
    expect(dev.deliveries()[0]!.error).toBe('timed out after 1000 ms');
    await new Promise((r) => setTimeout(r, 500));
    expect(dev.deliveries().length).toBeLessThan(40);
  });

  it('resumes pending deliveries after a restart, continuing the attempt count', async () => {
    const h = home(cleanups);
    const port = await freePort();
    const target = `http://127.0.0.1:${port}/hooks`;
    // First run: the app is down and the next retry is far away.
    const a = await startDev(cleanups, ['--forward-to', target], { home: h, env: { ETSYHOOK_FORWARD_BACKOFF_MS: '600000' } });
    const first = (await post(a.url, signed())).json().id as string;
    const second = (await post(a.url, signed())).json().id as string;
    // The first refused attempt opens the circuit breaker: the second event waits, using up no attempt.
    await waitFor(() => a.deliveries().length >= 1, 10_000, 'the failed first attempt');
    await new Promise((r) => setTimeout(r, 300));
    expect(a.deliveries()).toHaveLength(1);
    expect(await a.proc.stop('SIGTERM')).toBe(0);
    expect(a.proc.stderr()).toMatch(/2 deliveries pending, resumed at the next start/);

    const up = await app({ port });
    const b = await startDev(cleanups, ['--forward-to', target], { home: h });
    expect(b.proc.stderr()).toMatch(/resuming 2 pending deliveries/);
    await waitFor(() => up.got.length === 2, 10_000, 'both resumed deliveries');
    await waitFor(() => b.deliveries().filter((d) => d.status === 'delivered').length === 2, 5000, 'delivered records');
    const delivered = b.deliveries().filter((d) => d.status === 'delivered');
    expect(delivered.map((d) => d.id).sort()).toEqual([first, second].sort());
    const attempted = a.deliveries()[0]!.id;
    for (const d of delivered) expect(d.attempt).toBe(d.id === attempted ? 2 : 1);

    // A third start has nothing left to resume.
    expect(await b.proc.stop('SIGTERM')).toBe(0);
    const c = await startDev(cleanups, ['--forward-to', target], { home: h });
    expect(c.proc.stderr()).not.toMatch(/resuming/);
    await new Promise((r) => setTimeout(r, 300));
    expect(up.got).toHaveLength(2);
  });

  it('refuses to forward to itself', async () => {
    const port = await freePort();
    const h = home(cleanups);
    const { runCli } = await import('./helpers.js');
    const r = await runCli(['dev', '--no-tunnel', '--port', String(port), '--forward-to', `http://localhost:${port}/webhook`], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is this receiver itself/);
  });
});
