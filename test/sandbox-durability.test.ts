// The sandbox's state and outbox across failures: retries keep their webhook-id, a restart keeps state and
// credentials, a SIGKILL mid-retry loses no webhook, and a damaged state file is handled as documented.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { cleanEnv, it, recorder, runCli, standardSignature, startSandbox, waitFor } from './support/index.js';

const stateFile = (home: string): string => join(home, 'sandbox', 'state.ndjson');

describe('sandbox durability', () => {
  it('retries a failing endpoint with the same webhook-id, each attempt signed afresh', async ({ cleanups, home }) => {
    let calls = 0;
    const app = await recorder(cleanups, { status: () => (++calls <= 2 ? 500 : 200) });
    const sb = await startSandbox(cleanups, home, ['--webhook', app.url, '--retry-schedule', '0,300ms,300ms']);
    const listingId = (await sb.api(`/application/shops/${sb.info.shopId}/listings`)).body.results[0].listing_id;
    expect((await sb.control('/orders', { listing_id: listingId, pay: true })).status).toBe(201);
    await waitFor('the third attempt', () => app.requests.length >= 3);
    const ids = new Set(app.requests.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const r of app.requests) {
      const expected = standardSignature(sb.info.webhookSecret, String(r.headers['webhook-id']), String(r.headers['webhook-timestamp']), r.body);
      expect(r.headers['webhook-signature']).toBe(expected);
    }
    await waitFor('the delivered record', () => sb.records().some((r) => r.kind === 'delivery' && r.status === 'delivered'));
    const attempts = sb.records().filter((r) => r.kind === 'delivery');
    expect(attempts.map((a) => [a.attempt, a.status, a.httpStatus])).toEqual([[1, 'failed', 500], [2, 'failed', 500], [3, 'delivered', 200]]);
    expect(new Set(attempts.map((a) => a.webhookId))).toEqual(ids);
  });

  it('--public-url names where apps reach it: apiBase and every resource_url use it', async ({ cleanups, home }) => {
    const app = await recorder(cleanups);
    const sb = await startSandbox(cleanups, home, ['--public-url', 'https://sandbox.example.test/', '--webhook', app.url]);
    expect(sb.info.apiBase).toBe('https://sandbox.example.test/v3');
    const origin = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(sb.stderr())![1]!;
    const local = { api: (path: string) => fetch(`${origin}/v3${path}`, { headers: { 'x-api-key': `${sb.info.keystring}:${sb.info.sharedSecret}` } }) };
    const listings = (await (await local.api(`/application/shops/${sb.info.shopId}/listings`)).json()) as { results: { listing_id: number }[] };
    const order = await fetch(`${origin}/_sandbox/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ listing_id: listings.results[0]!.listing_id, pay: true }) });
    const receipt = (await order.json()) as { receipt_id: number };
    await waitFor('order.paid', () => app.requests.length >= 1);
    expect(JSON.parse(app.requests[0]!.body.toString()).resource_url).toBe(`https://sandbox.example.test/v3/application/shops/${sb.info.shopId}/receipts/${receipt.receipt_id}`);
  });

  it('keeps state and credentials across a restart, and resumes a webhook due after a SIGKILL', async ({ cleanups, home }) => {
    // The app refuses until the sandbox is killed, then answers 204 where it was.
    const app = await recorder(cleanups, { mode: 'refuse', status: 204, body: '' });
    const first = await startSandbox(cleanups, home, ['--webhook', app.url, '--retry-schedule', '0,1500ms,1500ms']);
    const listingId = (await first.api(`/application/shops/${first.info.shopId}/listings`)).body.results[0].listing_id;
    const receipt = (await first.control('/orders', { listing_id: listingId, pay: true })).body;
    await waitFor('the refused first attempt', () => first.records().some((r) => r.kind === 'delivery' && r.error === 'connection refused'));
    first.child.kill('SIGKILL');
    await first.exited;

    await app.setMode('ok');

    // No --webhook this time: the pending webhook goes to the endpoint it was recorded for.
    const second = await startSandbox(cleanups, home, ['--retry-schedule', '0,1500ms,1500ms']);
    expect(second.info).toEqual({ ...first.info, apiBase: second.info.apiBase });
    await waitFor('the resumed delivery', () => app.requests.length >= 1, 15_000);
    expect(JSON.parse(app.requests[0]!.body.toString())).toMatchObject({ event_type: 'order.paid', shop_id: first.info.shopId });
    const kept = await second.api(`/application/shops/${second.info.shopId}/receipts/${receipt.receipt_id}`);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ status: 'paid', is_paid: true });
    const resumed = await waitFor('the resumed attempt\'s record', () => {
      const records = second.records().filter((r) => r.kind === 'delivery');
      return records.length > 0 && records;
    });
    expect(resumed.map((r) => [r.attempt, r.status])).toEqual([[2, 'delivered']]);
    expect(resumed[0]!.webhookId).toBe(String(app.requests[0]!.headers['webhook-id']));
    expect(await second.stop('SIGTERM')).toBe(0);
    // Delivered: not sent again at the next start.
    const third = await startSandbox(cleanups, home, ['--retry-schedule', '0,1500ms,1500ms']);
    expect((await third.api('/application/openapi-ping')).status).toBe(200);
    expect(third.records().filter((r) => r.kind === 'delivery')).toEqual([]);
    expect(app.requests).toHaveLength(1);
  });

  it('drops a torn last record with a warning; any other unreadable record is one line naming the file and --fresh', async ({ cleanups, home }) => {
    const first = await startSandbox(cleanups, home);
    expect(await first.stop('SIGTERM')).toBe(0);
    appendFileSync(stateFile(home.dir), '{"receipts":[{"rece');
    const torn = await startSandbox(cleanups, home);
    expect(torn.stderr()).toMatch(/warning: dropped a torn last record in .*state\.ndjson/);
    expect(torn.info.keystring).toBe(first.info.keystring);
    // One sandbox per state: a second on the same home says which process holds it.
    const second = await runCli(['sandbox', '--port', '0'], { env: cleanEnv(home.dir) });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`error: another etsyhook sandbox (pid ${torn.pid}) is using`);
    expect(await torn.stop('SIGTERM')).toBe(0);

    writeFileSync(stateFile(home.dir), `garbage\n${readFileSync(stateFile(home.dir), 'utf8')}`);
    const broken = await runCli(['sandbox', '--port', '0'], { env: cleanEnv(home.dir) });
    expect(broken.code).toBe(1);
    expect(broken.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: the sandbox state .*state\.ndjson has an unreadable record \(line 1\); start again with etsyhook sandbox --fresh$/)]);

    const fresh = await startSandbox(cleanups, home, ['--fresh']);
    expect((await fresh.api(`/application/shops/${fresh.info.shopId}/listings`)).body.count).toBe(3);
  });

  it('--fresh and reset keep the credentials and webhook secret and drop the shop data; Ctrl-C exits 130', async ({ cleanups, home }) => {
    const first = await startSandbox(cleanups, home);
    const listingId = (await first.api(`/application/shops/${first.info.shopId}/listings`)).body.results[0].listing_id;
    await first.control('/orders', { listing_id: listingId });
    const created = await runCli(['sandbox', 'listing', 'create', '--title', 'Test mug', '--price', '25.00', '--quantity', '5', '--json'], { env: first.env });
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ title: 'Test mug', state: 'active', quantity: 5, price: { amount: 2500, divisor: 100, currency_code: 'USD' } });
    const reset = await runCli(['sandbox', 'reset'], { env: first.env });
    expect(reset.code).toBe(0);
    expect((await first.api(`/application/shops/${first.info.shopId}/receipts`)).body.count).toBe(0);
    expect((await first.api(`/application/shops/${first.info.shopId}/listings`)).body.count).toBe(3);
    await first.control('/orders', { listing_id: (await first.api(`/application/shops/${first.info.shopId}/listings`)).body.results[0].listing_id });
    await first.stop('SIGTERM');
    const fresh = await startSandbox(cleanups, home, ['--fresh']);
    expect(fresh.info).toEqual({ ...first.info, apiBase: fresh.info.apiBase });
    expect((await fresh.api(`/application/shops/${fresh.info.shopId}/receipts`)).body.count).toBe(0);
    // The banner's example names a real listing; Ctrl-C sums up the run.
    const named = Number(/order create --listing (\d+) --pay/.exec(fresh.stderr())?.[1]);
    const active = (await fresh.api(`/application/shops/${fresh.info.shopId}/listings`)).body.results.map((l: { listing_id: number }) => l.listing_id);
    expect(active).toContain(named);
    expect(await fresh.stop('SIGINT')).toBe(130);
    expect(fresh.stderr()).toMatch(/^stopped: 2 API requests, 0 webhooks delivered, 0 failed attempts$/m);
  });
});
