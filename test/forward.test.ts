// `etsyhook dev --forward-to`: exact bytes and headers to the app, retries with backoff, dead letters, duplicates,
// a slow target that never delays acknowledgements, and pending deliveries resumed after a restart.
import { Webhook } from 'standardwebhooks';
import { describe, expect } from 'vitest';
import { recorder, type Recorded, type Recorder } from './support/recorder.js';
import { deliveriesSettled, health, it, newHome, post, runCli, SECRET, signed, startDev, unusedPort, waitFor, type Scope } from './support/index.js';

/** The app under development, the one recording target of test/support: answers `status` (or never, with hang). */
async function app(cleanups: Scope, options: { port?: number; status?: number | ((n: number) => number); hang?: boolean } = {}): Promise<{ port: number; url: string; got: Recorded[]; close: () => Promise<void> }> {
  // The status of the request being answered: the recorder has counted it already.
  const statusOf = (): number => (typeof options.status === 'function' ? options.status(r.requests.length) : (options.status ?? 200));
  const r: Recorder = await recorder(cleanups, {
    path: '/hooks/etsy',
    headers: { 'content-type': 'text/plain' },
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.hang ? { hang: true } : {}),
    status: statusOf,
    body: () => (statusOf() < 300 ? 'ok' : 'app says no'),
  });
  return { port: r.port, url: r.url, got: r.requests, close: r.close };
}

describe('dev --forward-to', () => {
  it('sends the exact bytes and headers: the app verifies them with the standardwebhooks library', async ({ cleanups }) => {
    const target = await app(cleanups);
    const dev = await startDev(cleanups, ['--forward-to', target.url]);
    // JSON.parse/stringify would change all of this: spacing, key order, 1.0, \u escapes, a big integer.
    const raw = '{ "shop_id":12345678 ,"event_type" : "order.paid",\n "total": 1.0, "note": "caf\\u00e9 ☕", "receipt_id": 98765432109876543210 }';
    const ev = signed({ body: raw });
    const res = await post(dev.url, { body: ev.body, headers: { ...ev.headers, 'x-custom-trace': 'abc123', 'user-agent': 'Etsy-Webhooks/1.0' } });
    expect(res.status).toBe(200);
    await waitFor('the forwarded request', () => target.got.length === 1, 10_000);
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

    await waitFor('the delivery record', () => dev.store().deliveries.length === 1, 5000);
    expect(dev.store().deliveries[0]).toMatchObject({ id: res.json().id, target: target.url, attempt: 1, httpStatus: 200, status: 'delivered', response: { body: 'ok' } });
    // The app's answer is kept: its headers too.
    expect(dev.store().deliveries[0]!.response).toMatchObject({ body: 'ok', headers: { 'content-type': 'text/plain' } });
    expect(dev.store().received[0]!.forwardTo).toBe(target.url);
    await waitFor('the delivery line', () => /→ 200 \d+ ms +order\.paid/.test(dev.stderr()), 5000);
  });

  it('an app that does not answer at all: held events spend no attempts, however long; lines say the times used', async ({ cleanups }) => {
    const port = await unusedPort();
    // Two attempts only, retried within 100 ms: the breaker's probes keep their own pace (2 s, 4 s …) all the same.
    const dev = await startDev(cleanups, ['--forward-to', `http://127.0.0.1:${port}/hooks`, '--retry-schedule', '0,100ms']);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post(dev.url, signed())).json().id as string);
    // Two probes, neither answered (connection refused).
    await waitFor('two unanswered probes', () => /still no answer from .* \(try 2, not counted as an attempt\); next try in \d+(\.\d)? s/.test(dev.stderr()), 15_000);
    expect(dev.stderr()).toMatch(/is not answering: holding deliveries \(stored, not dropped, no attempts used\); next try in \d(\.\d)? s/);
    // The tries sent before the breaker held everything are recorded as held: none used an attempt; none is dead.
    const whileDown = dev.store().deliveries;
    expect(whileDown.length).toBeGreaterThanOrEqual(1);
    expect(whileDown.every((d) => d.attempt === 1 && d.status === 'failed' && d.held === true && d.error === 'connection refused')).toBe(true);
    expect(new Set(whileDown.map((d) => d.id)).size).toBe(whileDown.length);
    expect(dev.stderr()).toMatch(/connection refused .*held until the app answers \(no attempt used\)/);
    expect(dev.stderr()).not.toMatch(/connection refused .*retry in/);

    const target = await app(cleanups, { port });
    await waitFor('all three delivered once the app is back', () => dev.store().deliveries.filter((d) => d.status === 'delivered').length === 3, 15_000);
    expect(target.got).toHaveLength(3);
    expect(dev.store().deliveries.some((d) => d.status === 'dead')).toBe(false);
    for (const id of ids) {
      const mine = dev.store().deliveries.filter((d) => d.id === id);
      expect(mine.at(-1)).toMatchObject({ status: 'delivered', httpStatus: 200, attempt: 1 });
    }
    // The attempt counter the app sees is the recorded one.
    expect(target.got.map((g) => g.headers['x-etsyhook-attempt']).sort()).toEqual(
      dev.store().deliveries.filter((d) => d.status === 'delivered').map((d) => String(d.attempt)).sort(),
    );
    await waitFor('the resume line', () => /the app answers again/.test(dev.stderr()), 5000);
  });

  it('an app answering 500 is retried on the schedule; the line says the delay actually used', async ({ cleanups }) => {
    const target = await app(cleanups, { status: (n) => (n < 3 ? 500 : 200) });
    const dev = await startDev(cleanups, ['--forward-to', target.url, '--retry-schedule', '0,200ms,400ms,800ms,1600ms', '--json']);
    await post(dev.url, signed());
    await waitFor('delivered on the third attempt', () => dev.store().deliveries.some((d) => d.status === 'delivered'), 10_000);
    await waitFor('NDJSON lines', () => dev.stdout().trim().split('\n').length === 4, 5000);
    const lines = dev.stdout().trim().split('\n').map((l) => JSON.parse(l) as { kind: string; attempt?: number; retryInMs?: number; at: string });
    const attempts = lines.filter((l) => l.kind === 'delivery');
    expect(attempts.map((l) => l.attempt)).toEqual([1, 2, 3]);
    // Schedule 0, 200 ms, 400 ms (±10%), and the next attempt came no sooner than announced.
    expect(attempts[0]!.retryInMs).toBeGreaterThanOrEqual(180);
    expect(attempts[0]!.retryInMs).toBeLessThanOrEqual(220);
    expect(attempts[1]!.retryInMs).toBeGreaterThanOrEqual(360);
    expect(attempts[1]!.retryInMs).toBeLessThanOrEqual(440);
    for (let i = 0; i < 2; i++) {
      const gap = Date.parse(attempts[i + 1]!.at) - Date.parse(attempts[i]!.at);
      expect(gap).toBeGreaterThanOrEqual(attempts[i]!.retryInMs! - 5);
    }
  });

  it('marks an event dead after the last attempt of --retry-schedule; non-2xx answers count as failures', async ({ cleanups }) => {
    const target = await app(cleanups, { status: 500 });
    // Three delays, so three attempts (no --max-attempts): at once, ~50 ms later, ~100 ms after that.
    const dev = await startDev(cleanups, ['--forward-to', target.url, '--retry-schedule', '0,50ms,100ms', '--json']);
    const id = (await post(dev.url, signed())).json().id;
    await waitFor('a dead letter', () => dev.store().deliveries.some((d) => d.status === 'dead'), 10_000);
    await deliveriesSettled(dev);
    expect(dev.store().deliveries.map((d) => [d.attempt, d.httpStatus, d.status, d.response?.body])).toEqual([
      [1, 500, 'failed', 'app says no'],
      [2, 500, 'failed', 'app says no'],
      [3, 500, 'dead', 'app says no'],
    ]);
    expect(target.got).toHaveLength(3);
    // --json: one line per delivery attempt, after the request's line.
    await waitFor('NDJSON lines', () => dev.stdout().trim().split('\n').length === 4, 5000);
    const lines = dev.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.kind)).toEqual(['received', 'delivery', 'delivery', 'delivery']);
    expect(lines[1]).toMatchObject({ kind: 'delivery', id, type: 'order.paid', attempt: 1, httpStatus: 500, status: 'failed' });
    expect(lines[1]!.retryInMs).toBeGreaterThanOrEqual(45);
    expect(lines[1]!.retryInMs).toBeLessThanOrEqual(55);
    expect(lines[2]!.retryInMs).toBeGreaterThanOrEqual(90);
    expect(lines[2]!.retryInMs).toBeLessThanOrEqual(110);
    expect(lines[3]).toMatchObject({ attempt: 3, status: 'dead' });
  });

  it('does not forward a duplicate or an ignored event', async ({ cleanups }) => {
    const target = await app(cleanups);
    const dev = await startDev(cleanups, ['--forward-to', target.url, '--events', 'order.*']);
    const ev = signed();
    const accepted = await post(dev.url, ev);
    expect(accepted.status).toBe(200);
    const first = accepted.json().id;
    expect((await post(dev.url, ev)).json().status).toBe('duplicate');
    expect((await post(dev.url, signed({ type: 'listing.updated' }))).json().status).toBe('ignored');
    // A sentinel accepted after them: once it is delivered and nothing is pending, any forward of the duplicate or
    // the ignored event would have happened.
    const sentinel = (await post(dev.url, signed())).json().id;
    await waitFor('the sentinel delivered', () => dev.store().deliveries.some((d) => d.id === sentinel), 5000);
    await deliveriesSettled(dev);
    expect(target.got).toHaveLength(2);
    expect(dev.store().deliveries.map((d) => d.id)).toEqual([first, sentinel]);
  });

  it('a hung target never delays acknowledgements; the attempt times out after --forward-timeout', async ({ cleanups }) => {
    const target = await app(cleanups, { hang: true });
    const dev = await startDev(cleanups, ['--forward-to', target.url, '--forward-timeout', '1s', '--max-attempts', '1']);
    const started = Date.now();
    for (let i = 0; i < 40; i++) expect((await post(dev.url, signed())).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    // The first attempts (up to the forwarder's concurrency) time out; the circuit breaker then holds the rest
    // back and probes one at a time, so a hung app is not sent 40 requests at once. No answer: no attempt used.
    await waitFor('the first attempts to time out', () => dev.store().deliveries.length >= 16, 10_000);
    expect(new Set(dev.store().deliveries.map((d) => d.status))).toEqual(new Set(['failed']));
    expect(dev.store().deliveries.every((d) => d.held === true)).toBe(true);
    expect(dev.store().deliveries[0]!.error).toBe('timed out after 1000 ms');
    expect(dev.stderr()).not.toMatch(/dead after/);
    // The next request the app sees is a single probe, not the 24 events still held.
    const firstBatch = dev.store().deliveries.length;
    expect(target.got).toHaveLength(firstBatch);
    await waitFor('the probe after the pause', () => target.got.length > firstBatch, 10_000, 10);
    expect(target.got).toHaveLength(firstBatch + 1);
    expect(dev.store().deliveries.length).toBeLessThan(40);
  });

  it('resumes pending deliveries after a restart; a held try counts as no attempt there either', async ({ cleanups }) => {
    const h = newHome(cleanups);
    const port = await unusedPort();
    const target = `http://127.0.0.1:${port}/hooks`;
    // First run: the app is down and the next retry is far away.
    const a = await startDev(cleanups, ['--forward-to', target, '--retry-schedule', '0,10m,20m,40m,80m'], { home: h });
    const first = (await post(a.url, signed())).json().id as string;
    const second = (await post(a.url, signed())).json().id as string;
    // The first refused attempt opens the circuit breaker: the second event waits, using up no attempt.
    await waitFor('the hold after the failed first attempt', () => /holding deliveries/.test(a.stderr()), 10_000);
    expect(await a.stop('SIGTERM')).toBe(0);
    expect(a.store().deliveries).toHaveLength(1);
    expect(a.stderr()).toMatch(/2 deliveries pending, resumed at the next start/);

    const up = await app(cleanups, { port });
    const b = await startDev(cleanups, ['--forward-to', target], { home: h });
    expect(b.stderr()).toMatch(/resuming 2 pending deliveries/);
    await waitFor('both resumed deliveries', () => up.got.length === 2, 10_000);
    await waitFor('delivered records', () => b.store().deliveries.filter((d) => d.status === 'delivered').length === 2, 5000);
    // The banner first, then the resumed deliveries' lines (they used to print above it).
    await waitFor('the resumed lines', () => (b.stderr().match(/→ 200/g) ?? []).length === 2, 5000);
    expect(b.stderr().indexOf('→ 200')).toBeGreaterThan(b.stderr().indexOf('Ready: listening on'));
    const delivered = b.store().deliveries.filter((d) => d.status === 'delivered');
    expect(delivered.map((d) => d.id).sort()).toEqual([first, second].sort());
    const attempted = a.store().deliveries[0]!.id;
    expect(a.store().deliveries[0]).toMatchObject({ id: attempted, held: true });
    for (const d of delivered) expect(d.attempt).toBe(1);

    // A third start has nothing left to resume.
    expect(await b.stop('SIGTERM')).toBe(0);
    const c = await startDev(cleanups, ['--forward-to', target], { home: h });
    expect(c.stderr()).not.toMatch(/resuming/);
    expect((await health(c.origin))?.body.pending_deliveries).toBe(0);
    expect(up.got).toHaveLength(2);
  });

  it('refuses to forward to itself', async ({ cleanups }) => {
    const port = await unusedPort();
    const h = newHome(cleanups);
    const r = await runCli(['dev', '--no-tunnel', '--port', String(port), '--forward-to', `http://localhost:${port}/webhook`], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is this receiver itself/);
  });
});
