// The web inspector through the built CLI (`etsyhook inspect`, and `dev` writing beside it), a real loopback target,
// and a real browser (Debian's chromium).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { EventStore } from '../src/core/log/store.js';
import type { ReceivedRecord, StoreRecord } from '../src/core/log/records.js';
import { delivery, eventsDir, received } from './support/fixtures.js';
import { BIN, it, newHome, post, runCli, SECRET, send, signed, startDev, waitFor, type Scope } from './support/index.js';
import { eventStream, inspect } from './support/inspector.js';
import { recorder } from './support/recorder.js';
import { launchBrowser } from './support/browser.js';

/** Errors thrown in any page a test opened: each test ends with none. */
const pageErrors: string[] = [];
afterEach(() => {
  expect(pageErrors.splice(0), 'errors in the page').toEqual([]);
});

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Every record appended at once (group-committed), as a busy receiver would write them. */
async function store(dir: string, records: readonly StoreRecord[]): Promise<void> {
  const s = await EventStore.open(eventsDir(dir));
  await Promise.all(records.map((r) => s.append(r)));
  await s.close();
}

async function open(cleanups: Scope, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(url);
  await page.waitForSelector('body[data-live="on"]');
  return page;
}

function shell(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const a = await send(url, { method: 'GET', headers });
  return { status: a.status, body: a.json() };
}

/** A store with an accepted event delivered once, a failed one, a rejected one and an ignored one. */
function sample(forwardTo: string): { records: StoreRecord[]; paid: ReceivedRecord; listing: ReceivedRecord; rejected: ReceivedRecord; shipped: ReceivedRecord } {
  const paid = received({ type: 'order.paid', minutesAgo: 40, forwardTo, httpStatus: 200 });
  const listing = received({
    type: 'listing.created',
    minutesAgo: 30,
    forwardTo,
    httpStatus: 200,
    bytes: Buffer.from('{"event_type":"listing.created","resource_id":987654321,"shop_id":12345678,"title":"Hand-thrown mug"}'),
  });
  // Signed 20 minutes before it arrived: rejected as stale.
  const staleAt = Math.floor((Date.now() - 40 * 60_000) / 1000);
  const stale = received({ type: 'order.shipped', minutesAgo: 20, httpStatus: 200 });
  const rejected: ReceivedRecord = {
    ...stale,
    headers: { ...stale.headers, 'webhook-timestamp': String(staleAt) },
    status: 'rejected',
    httpStatus: 401,
    reason: 'stale timestamp: signed 1200 s ago, more than the 300 s tolerance',
  };
  const shipped = received({ type: 'order.shipped', minutesAgo: 10, status: 'ignored', httpStatus: 200 });
  return {
    records: [paid, delivery(paid, { target: forwardTo }), listing, delivery(listing, { target: forwardTo, httpStatus: 500, status: 'failed' }), rejected, shipped],
    paid,
    listing,
    rejected,
    shipped,
  };
}

describe('inspect: the JSON API', () => {
  it('lists the same objects as events list --json, filters, pages with a cursor, and finds one by id prefix or webhook-id', async ({ cleanups, home: h }) => {
    const s = sample('http://127.0.0.1:9/webhook');
    await store(h.dir, s.records);
    const ins = await inspect(cleanups, h.env);

    const cli = await runCli(['events', 'list', '--json', '--limit', '100'], { env: h.env });
    const all = await getJson(`${ins.url}api/events`);
    expect(all.status).toBe(200);
    expect(all.body.events).toEqual(JSON.parse(cli.stdout));
    expect(all.body.next).toBeNull();

    const failed = await getJson(`${ins.url}api/events?status=failed`);
    expect((failed.body.events as { id: string }[]).map((e) => e.id)).toEqual([s.listing.id]);
    const orders = await getJson(`${ins.url}api/events?type=order.*`);
    expect((orders.body.events as { id: string }[]).map((e) => e.id)).toEqual([s.shipped.id, s.rejected.id, s.paid.id]);
    const searched = await getJson(`${ins.url}api/events?q=${encodeURIComponent('hand-thrown')}`);
    expect((searched.body.events as { id: string }[]).map((e) => e.id)).toEqual([s.listing.id]);

    // Pages of 2 over 4 events: every one once, newest first, and a later event does not shift the pages.
    const first = await getJson(`${ins.url}api/events?limit=2`);
    await store(h.dir, [received({ type: 'order.canceled', minutesAgo: 0 })]);
    const second = await getJson(`${ins.url}api/events?limit=2&cursor=${first.body.next as string}`);
    expect(second.body.next).toBeNull();
    const paged = [...(first.body.events as { id: string }[]), ...(second.body.events as { id: string }[])].map((e) => e.id);
    expect(paged).toEqual([s.shipped.id, s.rejected.id, s.listing.id, s.paid.id]);

    const byPrefix = await getJson(`${ins.url}api/events/${s.paid.id.slice(0, 12)}`);
    expect(byPrefix.status).toBe(200);
    expect(byPrefix.body).toMatchObject({ id: s.paid.id, body: s.paid.body, headers: s.paid.headers, attempts: 1 });
    const byWebhookId = await getJson(`${ins.url}api/events/${s.listing.webhookId!}`);
    expect(byWebhookId.body.id).toBe(s.listing.id);

    expect((await getJson(`${ins.url}api/events/evt_nothinglikethis`)).status).toBe(404);
    const badStatus = await getJson(`${ins.url}api/events?status=lost`);
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error).toMatch(/status must be one of/);
    expect((await getJson(`${ins.url}api/events?cursor=garbage`)).status).toBe(400);
  });

  it("follows the catalog: /api/types is events types --json, and an old invented type name finds Etsy's too", async ({ cleanups, home: h }) => {
    const old = received({ type: 'listing.state.updated', minutesAgo: 3 });
    const current = received({ type: 'listing.updated', minutesAgo: 2 });
    await store(h.dir, [old, current, received({ type: 'listing.created', minutesAgo: 1 })]);
    const ins = await inspect(cleanups, h.env);
    const cli = await runCli(['events', 'types', '--json'], { env: h.env });
    const types = await fetch(`${ins.url}api/types`);
    expect(types.status).toBe(200);
    expect(await types.json()).toEqual(JSON.parse(cli.stdout));
    const found = await getJson(`${ins.url}api/events?type=listing.state.updated`);
    expect((found.body.events as { id: string }[]).map((e) => e.id)).toEqual([current.id, old.id]);
  });

  it('streams new records as server-sent events: received (filtered like the list) and delivery', async ({ cleanups, home: h }) => {
    const s = sample('http://127.0.0.1:9/webhook');
    await store(h.dir, s.records);
    const ins = await inspect(cleanups, h.env);
    const { events, contentType } = eventStream(cleanups, `${ins.url}api/stream?type=order.*`);
    await waitFor('the stream to be ready', () => events.some((e) => e.event === 'ready'));
    expect(contentType()).toMatch(/^text\/event-stream/);
    const paid = received({ type: 'order.paid', minutesAgo: 0, httpStatus: 200 });
    const listing = received({ type: 'listing.updated', minutesAgo: 0, httpStatus: 200 });
    await store(h.dir, [listing, paid, delivery(paid, { target: 'http://127.0.0.1:9/webhook' })]);
    await waitFor('the delivery in the stream', () => events.some((e) => e.event === 'delivery'));
    const streamed = events.filter((e) => e.event === 'received').map((e) => e.data);
    expect(streamed).toEqual([expect.objectContaining({ kind: 'event', id: paid.id, type: 'order.paid', status: 'accepted', httpStatus: 200, attempts: 0 })]);
    expect(events.find((e) => e.event === 'delivery')!.data).toMatchObject({ kind: 'delivery', id: paid.id, status: 'delivered', httpStatus: 200, attempt: 1 });
  });

  it('explains a rejected signature: which header, stale by how many seconds, the expected signature vs the received one', async ({ cleanups }) => {
    const h = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const s = sample('http://127.0.0.1:9/webhook');
    await store(h.dir, s.records);
    const ins = await inspect(cleanups, h.env);
    const d = await getJson(`${ins.url}api/events/${s.rejected.id}`);
    const sig = d.body.signature as Record<string, unknown>;
    expect(sig).toMatchObject({ scheme: 'standard', valid: false, reason: 'stale_timestamp', header: 'webhook-timestamp', toleranceSeconds: 300 });
    expect(sig.ageAtArrival).toBeGreaterThanOrEqual(1199);
    expect(sig.staleBySeconds).toBe((sig.ageAtArrival as number) - 300);
    expect(sig.received).toEqual([s.rejected.headers['webhook-signature']]);
    // The stored body re-signed with the secret for the received id and timestamp.
    const wh = new Webhook(SECRET);
    const expected = wh.sign(s.rejected.webhookId!, new Date(Number(s.rejected.headers['webhook-timestamp']) * 1000), s.rejected.body!);
    expect(sig.expected).toBe(expected);
  });

  it('refuses a foreign Host, other origins, and a replay without the page token; the secret is in no answer', async ({ cleanups }) => {
    const h = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const target = await recorder(cleanups);
    const s = sample(target.url);
    await store(h.dir, s.records);
    const ins = await inspect(cleanups, h.env);
    const api = `${ins.url}api/events`;

    for (const host of ['evil.example', `evil.example:${ins.port}`, `127.0.0.1:${ins.port + 1}`, 'localhost']) {
      for (const path of ['', 'api/events', `api/events/${s.paid.id}`, 'api/stream']) {
        const a = await send(`${ins.url}${path}`, { method: 'GET', headers: { host } });
        expect(a.status, `${host} ${path}`).toBe(403);
        expect(a.body).toMatch(/Host header/);
      }
    }
    expect((await send(api, { method: 'GET', headers: { host: `localhost:${ins.port}` } })).status).toBe(200);
    expect((await send(api, { method: 'GET', headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await send(api, { method: 'GET', headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' } })).status).toBe(403);

    const replayUrl = `${ins.url}api/events/${s.paid.id}/replay`;
    const json = { 'content-type': 'application/json' };
    const none = await send(replayUrl, { headers: json, body: '{}' });
    expect(none.status).toBe(403);
    expect(none.body).toMatch(/token/);
    const wrong = await send(replayUrl, { headers: { ...json, 'x-etsyhook-token': 'x'.repeat(32) }, body: '{}' });
    expect(wrong.status).toBe(403);
    // The token is in the page; with it, from the page's origin, the replay goes.
    const html = (await send(ins.url, { method: 'GET' })).body;
    const token = /name="etsyhook-token" content="([^"]+)"/.exec(html)![1]!;
    const crossSite = await send(replayUrl, { headers: { ...json, 'x-etsyhook-token': token, origin: 'http://evil.example' }, body: '{}' });
    expect(crossSite.status).toBe(403);
    expect(target.requests).toHaveLength(0);
    const ok = await send(replayUrl, { headers: { ...json, 'x-etsyhook-token': token, origin: `http://127.0.0.1:${ins.port}` }, body: '{"resign":true}' });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ delivered: true, resigned: true, target: target.url, attempt: { httpStatus: 200, replay: true, status: 'delivered', attempt: 2 } });
    expect(target.requests).toHaveLength(1);

    // Nothing the server answers holds the secret (nor its key bytes).
    const key = SECRET.slice('whsec_'.length);
    const answers = [html];
    for (const path of ['api/events', ...s.records.filter((r) => r.kind === 'received').map((r) => `api/events/${r.id}`)]) {
      answers.push((await send(`${ins.url}${path}`, { method: 'GET' })).body);
    }
    expect(answers.join('\n')).toContain(s.rejected.id);
    for (const text of answers) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(key);
    }
  });
});

describe('dev serves the inspector beside the receiver', () => {
  it('prints its URL in the banner, lists what dev receives, and records a replay through dev\'s own store', async ({ cleanups }) => {
    const target = await recorder(cleanups);
    const dev = await startDev(cleanups, ['--inspect-port', '0', '--forward-to', target.url]);
    const url = /Inspect\s+(http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(dev.stderr());
    expect(url, dev.stderr()).not.toBeNull();
    const base = url![1]!;
    const local = new RegExp(`Local\\s+${dev.url.replace(/[.]/g, '\\.')}`);
    expect(dev.stderr()).toMatch(local);

    const event = signed({ type: 'order.paid' });
    const id = (await post(dev.url, event)).json().id as string;
    await waitFor('the forwarded event', () => target.requests.length === 1, 10_000);
    let listed: { id: string; status: string }[] = [];
    await waitFor('the delivered event in the inspector', async () => {
      listed = (await getJson(`${base}api/events`)).body.events as { id: string; status: string }[];
      return listed[0]?.status === 'delivered';
    }, 10_000);
    expect(listed.map((e) => e.id)).toEqual([id]);

    const html = (await send(base, { method: 'GET' })).body;
    const token = /name="etsyhook-token" content="([^"]+)"/.exec(html)![1]!;
    const replayed = await send(`${base}api/events/${event.id}/replay`, {
      headers: { 'content-type': 'application/json', 'x-etsyhook-token': token },
      body: '{"resign":true}',
    });
    expect(replayed.json()).toMatchObject({ id, delivered: true, resigned: true, target: target.url, attempt: { attempt: 2, replay: true } });
    expect(target.requests).toHaveLength(2);
    expect(target.requests[1]!.body.equals(event.body)).toBe(true);
    // dev keeps writing its log alone: the attempt went through its sink, and is there once.
    await waitFor('the replay attempt in the log', () => dev.store().deliveries.length === 2, 5_000);
    expect(dev.store().deliveries.map((d) => [d.attempt, d.replay ?? false])).toEqual([[1, false], [2, true]]);
    expect((await send(`${base}api/events`, { method: 'GET', headers: { host: 'attacker.example' } })).status).toBe(403);
  });

  it('--no-inspect serves none', async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--no-inspect']);
    expect(dev.stderr()).toMatch(/Inspect\s+off \(--no-inspect\)/);
  });
});

describe('inspect: the page, in a browser', () => {
  it("shows times as the CLI does (a date when not today, the full date in the detail), badges whole at 1400 px, and filters by pending", async ({ cleanups }) => {
    const h = newHome(cleanups);
    const yesterday = received({ type: 'order.paid', minutesAgo: 26 * 60, status: 'duplicate', httpStatus: 200, forwardTo: 'http://127.0.0.1:9/hooks' });
    const today = received({ type: 'inventory.out_of_stock', minutesAgo: 1, forwardTo: 'http://127.0.0.1:9/hooks', httpStatus: 200 });
    const attempts = [
      delivery(today, { status: 'failed', httpStatus: 500, attempt: 1 }),
      delivery(today, { status: 'failed', httpStatus: 500, attempt: 2 }),
      delivery(today, { status: 'delivered', httpStatus: 200, attempt: 3 }),
    ];
    await store(h.dir, [yesterday, today, ...attempts]);
    const ins = await inspect(cleanups, h.env);
    const page = await open(cleanups, ins.url);
    await page.waitForSelector('body[data-count="2"]');

    const cells = (id: string): Promise<{ text: string; cut: boolean }[]> =>
      page.$$eval(`#rows .row[data-id="${id}"] > span`, (spans) => spans.map((s) => ({ text: s.textContent ?? '', cut: s.scrollWidth > s.clientWidth })));
    const old = await cells(yesterday.id);
    const now = await cells(today.id);
    expect(old[0]!.text).toMatch(/^\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(now[0]!.text).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    expect(old[2]!.text).toBe('duplicate 200');
    expect(now[4]!.text).toBe('delivered ×3');
    // Nothing but the free-width columns (type, webhook-id) may be cut: time, verdict and delivery are whole.
    for (const row of [old, now]) for (const i of [0, 2, 4]) expect(row[i]!.cut, `${row[i]!.text} is cut`).toBe(false);

    await page.click(`#rows .row[data-id="${yesterday.id}"]`);
    await page.waitForSelector(`body[data-detail="${yesterday.id}"]`);
    const d = new Date(yesterday.at);
    const p = (n: number): string => String(n).padStart(2, '0');
    const full = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    expect(await page.textContent('dl.facts')).toContain(full);
    expect(full.slice(5)).toBe(old[0]!.text);

    // pending is a status the filter offers, as the API takes it.
    expect(await page.$$eval('#status option', (os) => os.map((o) => o.textContent))).toContain('pending');
    const answered = page.waitForResponse((r) => r.url().includes('/api/events') && r.url().includes('status=pending'));
    await page.selectOption('#status', 'pending');
    expect((await answered).status()).toBe(200);
  });

  it('lists stored events, shows the detail (request line, headers, pretty body, signature), and adds a new one live', async ({ cleanups }) => {
    const h = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const s = sample('http://127.0.0.1:9/webhook');
    await store(h.dir, s.records);
    const ins = await inspect(cleanups, h.env);
    const page = await open(cleanups, ins.url);

    await page.waitForSelector('body[data-count="4"]');
    const ids = await page.$$eval('#rows .row', (rows) => rows.map((r) => r.getAttribute('data-id')));
    expect(ids).toEqual([s.shipped.id, s.rejected.id, s.listing.id, s.paid.id]);
    expect(await page.textContent(`#rows .row[data-id="${s.listing.id}"]`)).toMatch(/listing\.created.*accepted 200.*failed/);

    await page.click(`#rows .row[data-id="${s.listing.id}"]`);
    await page.waitForSelector(`body[data-detail="${s.listing.id}"]`);
    expect(await page.textContent('#reqline')).toBe('POST /webhook HTTP/1.1');
    const headers = await page.textContent('#headers');
    expect(headers).toContain('webhook-id');
    expect(headers).toContain(s.listing.webhookId!);
    expect(await page.textContent('#body')).toBe(
      '{\n  "event_type": "listing.created",\n  "resource_id": 987654321,\n  "shop_id": 12345678,\n  "title": "Hand-thrown mug"\n}',
    );
    await page.click('.tabs button:has-text("raw")');
    expect(await page.textContent('#body')).toBe(s.listing.body);
    expect(await page.textContent('#attempts')).toMatch(/500 failed/);

    await page.click(`#rows .row[data-id="${s.rejected.id}"]`);
    await page.waitForSelector(`body[data-detail="${s.rejected.id}"]`);
    const sig = (await page.textContent('#signature'))!;
    expect(sig).toMatch(/webhook-timestamp/);
    expect(sig).toMatch(/stale by\d+ s past the 300 s tolerance/);
    expect(sig).toContain(s.rejected.headers['webhook-signature']);
    expect(sig).toMatch(/expectedv1,[A-Za-z0-9+/=]{44}/);

    // A receiver writing to the same store: its event appears without a reload.
    const dev = await startDev(cleanups, [], { home: h });
    const event = signed({ type: 'receipt.created' });
    const answer = await post(dev.url, event);
    const id = answer.json().id as string;
    await page.waitForSelector(`#rows .row[data-id="${id}"]`);
    expect(await page.textContent('#rows .row:first-child')).toMatch(/receipt\.created.*accepted 200/);
    expect(await page.getAttribute('body', 'data-count')).toBe('5');
  });

  it('Replay sends the stored bytes to the forward target; Edit and replay sends the edited body, re-signed', async ({ cleanups }) => {
    const h = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const target = await recorder(cleanups);
    const s = sample(target.url);
    await store(h.dir, s.records);
    const ins = await inspect(cleanups, h.env);
    const page = await open(cleanups, ins.url);
    await page.click(`#rows .row[data-id="${s.paid.id}"]`);
    await page.waitForSelector(`body[data-detail="${s.paid.id}"]`);
    expect(await page.inputValue('#target')).toBe(target.url);

    await page.click('#replay');
    await waitFor('the replay at the target', () => target.requests.length === 1, 10_000);
    expect(target.requests[0]!.body.toString('utf8')).toBe(s.paid.body);
    expect(target.requests[0]!.headers['webhook-signature']).toBe(s.paid.headers['webhook-signature']);
    await page.waitForSelector('#result.ok');
    expect(await page.textContent('#result')).toMatch(/byte-exact → .*: 200 in \d+ ms \(delivered\)/);
    // The attempt is in the log, and the page shows it (it follows the log).
    await page.waitForFunction(() => /\(replay\)/.test(document.querySelector('#attempts')?.textContent ?? ''));

    await page.click('#edit');
    const edited = '{"event_type":"order.paid","shop_id":12345678,"note":"edited in the inspector"}';
    await page.fill('#edit-body', edited);
    await page.click('#send-edited');
    await waitFor('the edited replay at the target', () => target.requests.length === 2, 10_000);
    const got = target.requests[1]!;
    expect(got.body.toString('utf8')).toBe(edited);
    expect(got.headers['webhook-id']).toBe(s.paid.webhookId);
    expect(got.headers['webhook-signature']).not.toBe(s.paid.headers['webhook-signature']);
    // Verified at the target with the secret: signed again over the edited bytes.
    const wh = new Webhook(SECRET);
    expect(() => wh.verify(got.body.toString('utf8'), got.headers as Record<string, string>)).not.toThrow();
    await page.waitForFunction(() => /edited, re-signed/.test(document.querySelector('#result')?.textContent ?? ''));

    // Copy as `etsyhook send --data`: the command, run as copied, sends the stored bytes signed to the target.
    await page.click('#copy-send');
    const command = (await page.textContent('#copied-text'))!;
    expect(command).toBe(`printf %s '${s.paid.body}' | etsyhook send 'order.paid' --data - --to '${target.url}'`);
    // Not spawnSync: the target answering it lives in this process.
    const sent = await shell(command.replace('etsyhook send', `'${process.execPath}' '${BIN}' send`), h.env);
    expect(sent.code, sent.stderr).toBe(0);
    expect(target.requests).toHaveLength(3);
    expect(target.requests[2]!.body.toString('utf8')).toBe(s.paid.body);
    expect(() => wh.verify(s.paid.body!, target.requests[2]!.headers as Record<string, string>)).not.toThrow();
    await page.click('#copy-curl');
    await page.waitForFunction(() => document.querySelector('#copied-text')?.textContent?.startsWith('curl ') === true);
    const curl = (await page.textContent('#copied-text'))!;
    expect(curl).toContain(`curl -X POST '${target.url}'`);
    expect(curl).toContain(`-H 'webhook-signature: ${s.paid.headers['webhook-signature']}'`);
    expect(curl).toContain(`--data-binary '${s.paid.body}'`);
    expect(curl).not.toMatch(/content-length|host:/i);

    const listed = await runCli(['events', 'show', s.paid.id, '--json'], { env: h.env });
    const attempts = (JSON.parse(listed.stdout) as { deliveries: { replay: boolean; httpStatus: number }[] }).deliveries;
    expect(attempts.filter((a) => a.replay)).toHaveLength(2);
  });

  it('search narrows the list; keys move, open, search and replay', async ({ cleanups }) => {
    const h = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const target = await recorder(cleanups);
    const s = sample(target.url);
    await store(h.dir, s.records);
    const ins = await inspect(cleanups, h.env);
    const page = await open(cleanups, ins.url);
    await page.waitForSelector('body[data-count="4"]');

    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await page.getAttribute('#rows .row.selected', 'data-id')).toBe(s.rejected.id);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('k');
    await page.keyboard.press('ArrowDown');
    expect(await page.getAttribute('#rows .row.selected', 'data-id')).toBe(s.listing.id);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`body[data-detail="${s.listing.id}"]`);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('r');
    await waitFor('the replay from r', () => target.requests.length === 1, 10_000);
    expect(target.requests[0]!.body.toString('utf8')).toBe(s.paid.body);

    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search');
    await page.keyboard.type('hand-thrown');
    await page.waitForSelector('body[data-count="1"]');
    expect(await page.getAttribute('#rows .row', 'data-id')).toBe(s.listing.id);
    const only = (id: string) => page.waitForFunction((id) => document.body.dataset.count === '1' && document.querySelector('#rows .row')?.getAttribute('data-id') === id, id);
    await page.fill('#search', s.paid.webhookId!);
    await only(s.paid.id);
    await page.fill('#search', s.shipped.id.slice(4, 14));
    await only(s.shipped.id);
    await page.fill('#search', '');
    await page.selectOption('#status', 'rejected');
    await only(s.rejected.id);
  });

  // How fast is measured by the bench (npm run bench -- --only h: 1,000 events in under a second, median of three
  // loads), not here: on a shared machine a timed test fails for the scheduler. This one holds that they all load.
  it('loads 1,000 stored events at once, all of them, with no "more" button', async ({ cleanups }) => {
    const h = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const target = await recorder(cleanups);
    const s = sample(target.url);
    const types = ['order.paid', 'order.shipped', 'listing.updated', 'receipt.created', 'order.canceled'];
    const many: StoreRecord[] = [];
    for (let i = 0; i < 1000 - 4; i++) {
      const ev = received({ type: types[i % types.length]!, minutesAgo: 60 + (1000 - i) / 10, forwardTo: target.url });
      many.push(ev);
      if (i % 7 !== 0) many.push(delivery(ev, { target: target.url, ...(i % 11 === 0 ? { httpStatus: 500, status: 'failed' } : {}) }));
    }
    await store(h.dir, [...many, ...s.records]);
    const ins = await inspect(cleanups, h.env);
    const page = await open(cleanups, ins.url);
    await page.waitForSelector('body[data-count="1000"][data-loaded="1"]', { timeout: 10_000 });
    expect(await page.locator('#rows .row').count()).toBe(1000);
    expect(await page.isHidden('#more')).toBe(true);
    expect(await page.evaluate(() => performance.getEntriesByName('etsyhook:list-shown').length)).toBe(1);
  });

  it('takes the README screenshot (ETSYHOOK_SCREENSHOT=docs/inspector.png writes it there)', async ({ cleanups }) => {
    const h = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const s = sample('http://127.0.0.1:3000/webhooks');
    const more: StoreRecord[] = [];
    for (const [i, type] of ['order.paid', 'receipt.created', 'listing.updated', 'order.shipped', 'order.paid', 'listing.created'].entries()) {
      const ev = received({ type, minutesAgo: 9 - i, forwardTo: 'http://127.0.0.1:3000/webhooks', httpStatus: 200 });
      more.push(ev, delivery(ev, { target: 'http://127.0.0.1:3000/webhooks', ...(i === 2 ? { httpStatus: 500, status: 'failed' } : {}) }));
    }
    await store(h.dir, [...s.records, ...more]);
    const ins = await inspect(cleanups, h.env);
    const page = await open(cleanups, ins.url);
    await page.waitForSelector('body[data-count="10"]');
    await page.click(`#rows .row[data-id="${s.rejected.id}"]`);
    await page.waitForSelector(`body[data-detail="${s.rejected.id}"]`);
    const file = join(h.dir, 'inspector.png');
    await page.screenshot({ path: file });
    expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
    const wanted = process.env.ETSYHOOK_SCREENSHOT;
    if (wanted !== undefined && wanted !== '') {
      mkdirSync(dirname(wanted), { recursive: true });
      copyFileSync(file, wanted);
    }
  });
});
