// The web inspector on the shared Redis queue, through the built CLI: `inspect --queue` over what `serve` received and
// a `worker` delivered, live from the history stream, replays recorded in it; and `dev --queue` keeping its inspector.
// A real redis-server (test/support/redis.ts), real loopback servers, and one check in a real browser.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { recorder } from './support/recorder.js';
import { it, newHome, post, runCli, SECRET, send, signed, startDev, unusedPort, waitFor } from './support/index.js';
import { eventStream, inspect } from './support/inspector.js';
import { launchBrowser } from './support/browser.js';
import { redis, redisClient, serve, worker } from './support/redis.js';

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

beforeAll(async () => {
  const { existsSync } = await import('node:fs');
  expect(existsSync('/usr/bin/redis-server'), 'redis-server (Debian package redis-server) is needed').toBe(true);
});

async function getJson(url: string): Promise<{ status: number; body: Record<string, any> }> {
  const a = await send(url, { method: 'GET' });
  return { status: a.status, body: a.json() };
}

async function token(base: string): Promise<string> {
  const html = (await send(base, { method: 'GET' })).body;
  return /name="etsyhook-token" content="([^"]+)"/.exec(html)![1]!;
}

const ids = (events: { id: string }[]): string[] => events.map((e) => e.id);

describe('inspect --queue: the API over the Redis history', () => {
  it('lists what serve received (as events list --queue does), filters, pages by stream id, and finds one by prefix or webhook-id', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    const app = await recorder(cleanups);
    await worker(cleanups, r, h, ['--forward-to', app.url]);
    const paid = signed({ type: 'order.paid' });
    const shipped = signed({ type: 'order.shipped' });
    const listing = signed({ type: 'listing.created' });
    const sent: string[] = [];
    for (const ev of [paid, shipped, listing]) sent.push((await post(s.url, ev)).json().id as string);
    expect((await post(s.url, paid)).json().status).toBe('duplicate');
    await waitFor('three deliveries', () => app.requests.length === 3, 10_000);
    const ins = await inspect(cleanups, h.env, ['--queue', r.url]);
    // The second start-up line: where it reads (the URL without any password).
    await waitFor('where it reads', () => ins.stderr().includes(`events in redis://127.0.0.1:${r.port};`), 5_000);

    let all: { status: number; body: Record<string, any> } = { status: 0, body: {} };
    await waitFor('every accepted event delivered', async () => {
      all = await getJson(`${ins.url}api/events`);
      return (all.body.events as { status: string }[]).filter((e) => e.status === 'delivered').length === 3;
    }, 10_000);
    const cli = await runCli(['events', 'list', '--json', '--queue', r.url], { env: h.env });
    expect(cli.code, cli.stderr).toBe(0);
    expect(all.body.events).toEqual(JSON.parse(cli.stdout));
    expect(all.body.next).toBeNull();
    expect((all.body.events as { id: string; status: string }[]).map((e) => e.status)).toEqual(['duplicate', 'delivered', 'delivered', 'delivered']);
    expect(ids(all.body.events).slice(1)).toEqual([...sent].reverse());

    expect(ids((await getJson(`${ins.url}api/events?type=order.*&status=delivered`)).body.events)).toEqual([sent[1], sent[0]]);
    expect(ids((await getJson(`${ins.url}api/events?q=listing.created`)).body.events)).toEqual([sent[2]]);

    // Pages of 2 over 4: every event once, newest first; one received after the first page does not shift them.
    const first = await getJson(`${ins.url}api/events?limit=2`);
    expect(first.body.next).toMatch(/^\d+-\d+$/);
    await post(s.url, signed({ type: 'order.canceled' }));
    const second = await getJson(`${ins.url}api/events?limit=2&cursor=${first.body.next as string}`);
    expect(second.body.next).toBeNull();
    expect([...ids(first.body.events), ...ids(second.body.events)]).toEqual(ids(all.body.events));
    const bad = await getJson(`${ins.url}api/events?cursor=garbage`);
    expect(bad.status).toBe(400);

    const byPrefix = await getJson(`${ins.url}api/events/${sent[1]!.slice(0, 12)}`);
    expect(byPrefix.status).toBe(200);
    expect(byPrefix.body).toMatchObject({ id: sent[1], type: 'order.shipped', body: shipped.body.toString('utf8'), status: 'delivered', attempts: 1 });
    // A webhook-id names the event that took it, not the duplicate; the replay target is where the worker delivered.
    const byWebhookId = await getJson(`${ins.url}api/events/${paid.id}`);
    expect(byWebhookId.body).toMatchObject({ id: sent[0], status: 'delivered', replayTarget: app.url });
    const shown = await runCli(['events', 'show', paid.id, '--json', '--queue', r.url], { env: h.env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(byWebhookId.body).toMatchObject(JSON.parse(shown.stdout) as Record<string, unknown>);
    expect((await getJson(`${ins.url}api/events/evt_nothinglikethis`)).status).toBe(404);
  });

  it('streams a new event and its delivery from the history as server-sent events', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    const ins = await inspect(cleanups, { ...h.env, ETSYHOOK_QUEUE: r.url });
    const live = eventStream(cleanups, `${ins.url}api/stream?type=order.*`);
    await waitFor('the stream to be ready', () => live.events.some((e) => e.event === 'ready'));
    await post(s.url, signed({ type: 'listing.updated' }));
    const id = (await post(s.url, signed({ type: 'order.paid' }))).json().id as string;
    await waitFor('the received event in the stream', () => live.events.some((e) => e.event === 'received'), 10_000);
    const app = await recorder(cleanups);
    await worker(cleanups, r, h, ['--forward-to', app.url]);
    // Attempts are streamed for every event (the page matches them to its rows): the worker delivers both.
    await waitFor('the deliveries in the stream', () => live.events.filter((e) => e.event === 'delivery').length === 2, 10_000);
    expect(live.events.filter((e) => e.event === 'received').map((e) => e.data)).toEqual([
      expect.objectContaining({ kind: 'event', id, type: 'order.paid', status: 'accepted', httpStatus: 200 }),
    ]);
    expect(live.events.find((e) => e.event === 'delivery' && e.data.id === id)!.data).toMatchObject({ kind: 'delivery', id, status: 'delivered', httpStatus: 200, attempt: 1 });
  });

  it('replays from the API to the target, and the attempt is in the queue history', async ({ cleanups }) => {
    const r = await redis(cleanups);
    const h = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const s = await serve(cleanups, r, h);
    const ev = signed({ type: 'order.paid' });
    const id = (await post(s.url, ev)).json().id as string;
    const ins = await inspect(cleanups, h.env, ['--queue', r.url]);
    const target = await recorder(cleanups);
    const replayed = await send(`${ins.url}api/events/${id}/replay`, {
      headers: { 'content-type': 'application/json', 'x-etsyhook-token': await token(ins.url) },
      body: JSON.stringify({ to: target.url, resign: true }),
    });
    expect(replayed.status, replayed.body).toBe(200);
    expect(replayed.json()).toMatchObject({ id, delivered: true, resigned: true, recorded: true, target: target.url, attempt: { attempt: 1, replay: true, status: 'delivered' } });
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]!.body.equals(ev.body)).toBe(true);
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    const history = await c.send<[string, string[]][]>(['XRANGE', '{etsyhook}:history', '-', '+']);
    const records = history.map(([, fields]) => JSON.parse(fields[1]!) as Record<string, unknown>);
    expect(records.map((rec) => [rec.kind, rec.id])).toEqual([['received', id], ['delivery', id]]);
    expect(records[1]).toMatchObject({ target: target.url, replay: true, status: 'delivered', httpStatus: 200 });
    const shown = JSON.parse((await runCli(['events', 'show', id, '--json', '--queue', r.url], { env: h.env })).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ id, status: 'delivered', attempts: 1 });
    // A reader does not trim: the history keeps what the receivers' --retain keeps.
    expect(await c.send<number>(['XLEN', '{etsyhook}:history'])).toBe(2);
  });

  it('while Redis is down the API says so in one line; it answers again once Redis is back', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    const id = (await post(s.url, signed({ type: 'order.paid' }))).json().id as string;
    const ins = await inspect(cleanups, h.env, ['--queue', r.url]);
    await r.kill();
    const down = await getJson(`${ins.url}api/events`);
    expect(down.status).toBe(500);
    expect(down.body.error).toBe(`Redis at 127.0.0.1:${r.port}: not connected (Redis is down or unreachable; reconnecting)`);
    await r.restart();
    const back = await waitFor('the list again', async () => {
      const a = await getJson(`${ins.url}api/events`);
      return a.status === 200 ? a : undefined;
    }, 10_000);
    expect(ids(back.body.events)).toEqual([id]);
  });

  it('says in one line when Redis is not there, and exits 1', async ({ home: h }) => {
    const port = await unusedPort();
    const res = await runCli(['inspect', '--inspect-port', '0', '--queue', `redis://127.0.0.1:${port}`], { env: h.env, timeoutMs: 15_000 });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`cannot use Redis at 127\\.0\\.0\\.1:${port}: connection refused`));
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('dev --queue keeps its inspector', () => {
  it('lists what dev received on Redis and records a replay through dev\'s sink', async ({ cleanups }) => {
    const r = await redis(cleanups);
    const app = await recorder(cleanups);
    const dev = await startDev(cleanups, ['--queue', r.url, '--forward-to', app.url, '--inspect-port', '0']);
    const m = /Inspect\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(dev.stderr());
    expect(m, dev.stderr()).not.toBeNull();
    const base = m![1]!;
    const ev = signed({ type: 'order.paid' });
    const id = (await post(dev.url, ev)).json().id as string;
    await waitFor('the delivered event in the inspector', async () => (await getJson(`${base}api/events`)).body.events[0]?.status === 'delivered', 10_000);
    const replayed = await send(`${base}api/events/${ev.id}/replay`, {
      headers: { 'content-type': 'application/json', 'x-etsyhook-token': await token(base) },
      body: '{}',
    });
    expect(replayed.json()).toMatchObject({ id, delivered: true, recorded: true, target: app.url, attempt: { attempt: 2, replay: true } });
    expect(app.requests).toHaveLength(2);
    const shown = JSON.parse((await runCli(['events', 'show', id, '--json', '--queue', r.url], { env: dev.env })).stdout) as { attempts: number };
    expect(shown.attempts).toBe(2);
  });
});

describe('inspect --queue in a browser', () => {
  it('lists the events in Redis and adds one serve receives, without a reload', async ({ cleanups, home: h }) => {
    browser ??= await launchBrowser();
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    const first = (await post(s.url, signed({ type: 'order.paid' }))).json().id as string;
    const ins = await inspect(cleanups, h.env, ['--queue', r.url]);
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(ins.url);
    await page.waitForSelector('body[data-live="on"]');
    await page.waitForSelector(`#rows .row[data-id="${first}"]`);
    expect(await page.textContent('.where')).toBe(`redis://127.0.0.1:${r.port}`);
    const second = (await post(s.url, signed({ type: 'receipt.created' }))).json().id as string;
    await page.waitForSelector(`#rows .row[data-id="${second}"]`);
    expect(await page.textContent('#rows .row:first-child')).toMatch(/receipt\.created.*accepted 200/);
    expect(await page.getAttribute('body', 'data-count')).toBe('2');
    expect(errors).toEqual([]);
  });
});
