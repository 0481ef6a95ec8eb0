// `etsyhook sandbox`: a local Etsy whose API answers with the state its webhooks announce. Driven through the built
// CLI; the app in these tests is a small loopback server written here.
import { appendFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { describe, expect } from 'vitest';
import { it, runCli, standardSignature, startSandbox, unusedPort, waitFor } from './support/index.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** The app: verifies each webhook with the banner's secret, GETs its resource_url and, on order.paid, POSTs tracking. */
async function startApp(cleanups: (() => unknown)[], env: { apiBase: string; keystring: string; sharedSecret: string; accessToken: string; webhookSecret: string }) {
  const received: Received[] = [];
  const fetched: any[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      const expected = standardSignature(env.webhookSecret, id, String(req.headers['webhook-timestamp']), body);
      if (req.headers['webhook-signature'] !== expected) {
        res.writeHead(401).end();
        return;
      }
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('{}');
      void (async () => {
        const event = JSON.parse(body) as { event_type: string; resource_url: string };
        const auth = { 'x-api-key': `${env.keystring}:${env.sharedSecret}`, authorization: `Bearer ${env.accessToken}` };
        const receipt = await (await fetch(event.resource_url, { headers: auth })).json();
        fetched.push(receipt);
        if (event.event_type === 'order.paid') {
          await fetch(`${event.resource_url}/tracking`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ tracking_code: '9400111899223', carrier_name: 'usps' }),
          });
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, received, fetched };
}

describe('etsyhook sandbox', () => {
  it('closes the loop: the app gets order.paid, reads the receipt, posts tracking, and gets order.shipped', async ({ cleanups, home }) => {
    const first = await startSandbox(cleanups, home);
    const app = await startApp(cleanups, first.info);
    await first.stop('SIGTERM');
    const sb = await startSandbox(cleanups, home, ['--webhook', app.url]);

    const listings = await sb.api(`/application/shops/${sb.info.shopId}/listings`);
    expect(listings.status).toBe(200);
    expect(listings.body.count).toBe(3);
    const listing = listings.body.results[0];
    const created = await runCli(['sandbox', 'order', 'create', '--listing', String(listing.listing_id), '--quantity', '2', '--pay', '--json'], { env: sb.env });
    expect(created.code).toBe(0);
    const receipt = JSON.parse(created.stdout);
    expect(receipt).toMatchObject({ status: 'paid', is_paid: true, is_shipped: false, grandtotal: { divisor: 100, currency_code: 'USD' } });

    await waitFor('order.shipped at the app', () => app.received.length >= 2);
    const [paid, shipped] = app.received.map((r) => JSON.parse(r.body));
    const resource = `${sb.info.apiBase}/application/shops/${sb.info.shopId}/receipts/${receipt.receipt_id}`;
    expect(paid).toEqual({ event_type: 'order.paid', resource_url: resource, shop_id: sb.info.shopId });
    expect(shipped).toEqual({ event_type: 'order.shipped', resource_url: resource, shop_id: sb.info.shopId });
    expect(app.received[0]!.headers['webhook-id']).not.toBe(app.received[1]!.headers['webhook-id']);
    await waitFor('the app read the shipped receipt', () => app.fetched.length >= 2);
    expect(app.fetched[0]).toMatchObject({ receipt_id: receipt.receipt_id, status: 'paid' });
    expect(app.fetched[1]).toMatchObject({ status: 'completed', is_shipped: true, shipments: [{ tracking_code: '9400111899223', carrier_name: 'usps' }] });

    // Stock moved with the payment.
    const after = await sb.api(`/application/listings/${listing.listing_id}`);
    expect(after.body.quantity).toBe(listing.quantity - 2);
    const deliveries = await waitFor('both delivery records', () => {
      const records = sb.records().filter((r) => r.kind === 'delivery');
      return records.length >= 2 && records;
    });
    expect(deliveries.map((d) => [d.status, d.httpStatus, d.target])).toEqual([['delivered', 200, app.url], ['delivered', 200, app.url]]);
    expect(sb.records().some((r) => r.kind === 'api' && r.path.endsWith('/tracking') && r.httpStatus === 200)).toBe(true);
    expect(JSON.stringify(sb.records())).not.toContain(sb.info.sharedSecret);
    expect(await sb.stop('SIGTERM')).toBe(0);
  });

  it('filters and pages getShopReceipts as Etsy does', async ({ cleanups, home }) => {
    const sb = await startSandbox(cleanups, home);
    const listingId = (await sb.api(`/application/shops/${sb.info.shopId}/listings`)).body.results[2].listing_id;
    const made = await sb.control('/orders', { listing_id: listingId, count: 7 });
    expect(made.status).toBe(201);
    const ids: number[] = made.body.results.map((r: any) => r.receipt_id);
    for (const id of ids.slice(0, 3)) expect((await sb.control(`/receipts/${id}/pay`)).status).toBe(200);
    expect((await sb.control(`/receipts/${ids[0]}/ship`, { tracking_code: 'T1', carrier_name: 'ups' })).status).toBe(200);
    expect((await sb.control(`/receipts/${ids[0]}/deliver`)).status).toBe(200);
    expect((await sb.control(`/receipts/${ids[6]}/cancel`)).status).toBe(200);
    const q = async (query: string) => (await sb.api(`/application/shops/${sb.info.shopId}/receipts?${query}`)).body;
    const idsOf = (b: any) => b.results.map((r: any) => r.receipt_id);

    expect((await q('')).count).toBe(7);
    expect(idsOf(await q('sort_order=asc&sort_on=receipt_id'))).toEqual(ids);
    expect(idsOf(await q('sort_on=receipt_id'))).toEqual([...ids].reverse());
    expect(idsOf(await q('was_paid=true&sort_order=ascending&sort_on=receipt_id'))).toEqual(ids.slice(0, 3));
    expect((await q('was_paid=false')).count).toBe(4);
    expect(idsOf(await q('was_shipped=true'))).toEqual([ids[0]]);
    expect(idsOf(await q('was_delivered=true'))).toEqual([ids[0]]);
    expect(idsOf(await q('was_canceled=true'))).toEqual([ids[6]]);
    expect((await q('was_canceled=false')).count).toBe(6);
    const page = await q('limit=2&offset=2&sort_on=receipt_id&sort_order=up');
    expect(page.count).toBe(7);
    expect(idsOf(page)).toEqual(ids.slice(2, 4));
    const bad = await sb.api(`/application/shops/${sb.info.shopId}/receipts?limit=101`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/limit/);
    const badBool = await sb.api(`/application/shops/${sb.info.shopId}/receipts?was_paid=maybe`);
    expect(badBool.status).toBe(400);
    expect(badBool.body.error).toMatch(/was_paid/);
    expect((await q('min_created=2000000000')).count).toBe(0);
    // The receipt's transactions, and the delivered order's fields unchanged by delivery.
    const tx = await sb.api(`/application/shops/${sb.info.shopId}/receipts/${ids[0]}/transactions`);
    expect(tx.body).toMatchObject({ count: 1, results: [{ listing_id: listingId, receipt_id: ids[0], quantity: 1 }] });
  });

  it('refuses every auth failure as Etsy does, and counts down the rate-limit headers', async ({ cleanups, home }) => {
    const sb = await startSandbox(cleanups, home);
    const path = `/application/shops/${sb.info.shopId}/receipts`;
    const { keystring, sharedSecret, accessToken } = sb.info;
    const cases: [string, Record<string, string>, number][] = [
      ['no x-api-key', { 'x-api-key': '' }, 401],
      ['a keystring alone', { 'x-api-key': keystring }, 401],
      ['a wrong shared secret', { 'x-api-key': `${keystring}:nope` }, 401],
      ['no bearer', { authorization: '' }, 401],
      ['a malformed bearer', { authorization: 'Bearer nonsense' }, 401],
      ['an unknown bearer', { authorization: `Bearer ${sb.info.userId}.unknown` }, 401],
    ];
    for (const [what, headers, status] of cases) {
      const r = await sb.api(path, { headers });
      expect([what, r.status, typeof r.body.error]).toEqual([what, status, 'string']);
      expect(r.headers.get('x-limit-per-second')).toBe('10');
    }
    // A token minted through OAuth with one scope: 403 on an operation needing another.
    const limited = await oauthToken(sb, 'listings_r');
    const forbidden = await sb.api(path, { headers: { authorization: `Bearer ${limited}` } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatch(/transactions_r/);
    const ok = await sb.api(`/application/listings/${(await sb.api(`/application/shops/${sb.info.shopId}/listings`)).body.results[0].listing_id}/inventory`, { headers: { authorization: `Bearer ${limited}` } });
    expect(ok.status).toBe(200);
    const scopes = await fetch(`${sb.info.apiBase}/application/scopes`, { method: 'POST', headers: { 'x-api-key': `${keystring}:${sharedSecret}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(limited)}` });
    expect(await scopes.json()).toEqual({ scopes: ['listings_r'] });
    const first = await sb.api('/application/openapi-ping');
    const second = await sb.api('/application/openapi-ping');
    expect(Number(second.headers.get('x-remaining-today'))).toBe(Number(first.headers.get('x-remaining-today')) - 1);
    expect(accessToken.startsWith(`${sb.info.userId}.`)).toBe(true);

    // An expired token (written into the state as one would be after its hour): 401 naming the expiry.
    await sb.stop('SIGTERM');
    const expired = `${sb.info.userId}.expiredtoken`;
    const json = JSON.stringify({ tokens: [{ token: expired, kind: 'access', userId: sb.info.userId, scopes: ['transactions_r'], expiresAt: Date.now() - 1000 }] });
    appendFileSync(join(home.dir, 'sandbox', 'state.ndjson'), `${json}\t${crc32(json).toString(16).padStart(8, '0')}\n`);
    const again = await startSandbox(cleanups, home);
    const refused = await again.api(path, { headers: { authorization: `Bearer ${expired}` } });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatch(/expired/);
  });

  it('answers 429 with retry-after past --rate-limit', async ({ cleanups, home }) => {
    const sb = await startSandbox(cleanups, home, ['--rate-limit', '3/s,1000/d']);
    const answers = await Promise.all(Array.from({ length: 8 }, () => sb.api('/application/openapi-ping')));
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused[0]!.headers.get('retry-after')).toBe('1');
    expect(refused[0]!.headers.get('x-limit-per-second')).toBe('3');
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(6);
  });

  it('manages listings and inventory through the API: draft, activate, inventory, delete', async ({ cleanups, home }) => {
    const sb = await startSandbox(cleanups, home);
    const shop = `/application/shops/${sb.info.shopId}`;
    expect((await sb.api('/application/users/me')).body).toEqual({ user_id: sb.info.userId, shop_id: sb.info.shopId });
    expect((await sb.api(shop)).body).toMatchObject({ shop_id: sb.info.shopId, user_id: sb.info.userId, currency_code: 'USD' });
    expect((await sb.api(`/application/users/${sb.info.userId}/shops`)).body.shop_id).toBe(sb.info.shopId);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const missing = await sb.api(`${shop}/listings`, { method: 'POST', headers: form, body: 'title=Mug&quantity=2' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/description|price|who_made|when_made|taxonomy_id/);
    const draft = await sb.api(`${shop}/listings`, { method: 'POST', headers: form, body: 'title=Blue+mug&description=A+mug&quantity=2&price=18.50&who_made=i_did&when_made=made_to_order&taxonomy_id=1' });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ state: 'draft', quantity: 2, price: { amount: 1850, divisor: 100, currency_code: 'USD' } });
    const id = draft.body.listing_id;
    expect((await sb.control('/orders', { listing_id: id })).status).toBe(409);
    const active = await sb.api(`${shop}/listings/${id}`, { method: 'PATCH', headers: form, body: 'state=active' });
    expect(active.body.state).toBe('active');
    expect((await sb.api(`${shop}/listings?state=active`)).body.count).toBe(4);
    const inventory = await sb.api(`/application/listings/${id}/inventory`, {
      method: 'PUT',
      body: JSON.stringify({ products: [{ sku: 'MUG-B', property_values: [], offerings: [{ price: 20, quantity: 7, is_enabled: true }] }] }),
    });
    expect(inventory.status).toBe(200);
    expect(inventory.body.products[0].offerings[0]).toMatchObject({ quantity: 7, price: { amount: 2000 } });
    const withInventory = await sb.api(`/application/listings/${id}?includes=Inventory`);
    expect(withInventory.body).toMatchObject({ quantity: 7, price: { amount: 2000 }, inventory: { products: [{ sku: 'MUG-B' }] } });
    expect((await sb.api(`/application/listings/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await sb.api(`/application/listings/${id}`)).status).toBe(404);
  });

  it('refuses illegal steps: 409 on the API, one line and exit 1 on the CLI', async ({ cleanups, home }) => {
    const sb = await startSandbox(cleanups, home);
    const listing = (await sb.api(`/application/shops/${sb.info.shopId}/listings`)).body.results.find((l: any) => l.quantity === 4);
    const order = (await sb.control('/orders', { listing_id: listing.listing_id, quantity: 4 })).body;
    expect((await sb.control(`/receipts/${order.receipt_id}/ship`)).status).toBe(409);
    const shipUnpaid = await runCli(['sandbox', 'order', 'ship', String(order.receipt_id)], { env: sb.env });
    expect(shipUnpaid.code).toBe(1);
    expect(shipUnpaid.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: the sandbox refused: Receipt \d+ is not paid/)]);
    const second = (await sb.control('/orders', { listing_id: listing.listing_id, quantity: 1 })).body;
    expect((await sb.control(`/receipts/${order.receipt_id}/pay`)).status).toBe(200);
    // The listing sold out: paying past the stock, and ordering a listing not active, are refused.
    expect((await sb.api(`/application/listings/${listing.listing_id}`)).body).toMatchObject({ quantity: 0, state: 'sold_out' });
    expect((await sb.control(`/receipts/${second.receipt_id}/pay`)).status).toBe(409);
    expect((await sb.control('/orders', { listing_id: listing.listing_id })).status).toBe(409);
    expect((await sb.control(`/receipts/${order.receipt_id}/pay`)).status).toBe(409);
    // updateShopReceipt on a paid receipt: 400 naming was_paid.
    const again = await sb.api(`/application/shops/${sb.info.shopId}/receipts/${order.receipt_id}`, { method: 'PUT', body: JSON.stringify({ was_paid: true }) });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatch(/was_paid/);
    const shipped = await sb.api(`/application/shops/${sb.info.shopId}/receipts/${order.receipt_id}`, { method: 'PUT', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'was_shipped=true' });
    expect(shipped.body).toMatchObject({ status: 'completed', is_shipped: true });
    expect((await sb.control(`/receipts/${order.receipt_id}/cancel`)).status).toBe(409);
    // Cancelling the unpaid order moves no stock; cancelling it twice is refused.
    expect((await sb.control(`/receipts/${second.receipt_id}/cancel`)).body.status).toBe('canceled');
    expect((await sb.api(`/application/listings/${listing.listing_id}`)).body.quantity).toBe(0);
    const cancelTwice = await runCli(['sandbox', 'order', 'cancel', String(second.receipt_id)], { env: sb.env });
    expect(cancelTwice.code).toBe(1);
    // The control API checks Host (DNS rebinding), as the inspector does.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(`${sb.origin}/_sandbox/reset`, { method: 'POST', headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(403);
    const port = await unusedPort();
    const nothing = await runCli(['sandbox', 'order', 'pay', '1', '--sandbox', `http://127.0.0.1:${port}`], { env: sb.env });
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain(`cannot reach the sandbox at http://127.0.0.1:${port}: nothing is listening`);
    const nothingJson = await runCli(['sandbox', 'order', 'pay', '1', '--json', '--sandbox', `http://127.0.0.1:${port}`], { env: sb.env });
    expect(JSON.parse(nothingJson.stdout).error.code).toBe('unreachable');
  });
});

/** A token through the OAuth flow (PKCE), as an app would get one, carrying `scope`. */
async function oauthToken(sb: Awaited<ReturnType<typeof startSandbox>>, scope: string): Promise<string> {
  const { createHash, randomBytes } = await import('node:crypto');
  const verifier = randomBytes(40).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirect = 'http://localhost:3003/callback';
  const connect = new URL(`${sb.origin}/oauth/connect`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: sb.info.keystring, redirect_uri: redirect, scope, state: 'st4te', code_challenge: challenge, code_challenge_method: 'S256' })) connect.searchParams.set(k, v);
  const page = await fetch(connect, { redirect: 'manual' });
  expect(page.status).toBe(302);
  // Another authorization, exchanged with the wrong verifier: 400 invalid_grant.
  const other = new URL((await fetch(connect, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
  const wrong = await fetch(`${sb.info.apiBase}/public/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', client_id: sb.info.keystring, redirect_uri: redirect, code: other, code_verifier: 'x'.repeat(43) }).toString() });
  expect([wrong.status, ((await wrong.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);
  const code = new URL(page.headers.get('location')!).searchParams.get('code')!;
  const form = (extra: Record<string, string>) => new URLSearchParams({ grant_type: 'authorization_code', client_id: sb.info.keystring, redirect_uri: redirect, code, ...extra }).toString();
  const token = await fetch(`${sb.info.apiBase}/public/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ code_verifier: verifier }) });
  const body = (await token.json()) as { access_token: string; refresh_token: string; expires_in: number };
  expect(body.expires_in).toBe(3600);
  // A code is single-use; a refresh keeps the scopes and the old refresh token stays valid.
  const reuse = await fetch(`${sb.info.apiBase}/public/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ code_verifier: verifier }) });
  expect([reuse.status, ((await reuse.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);
  const refresh = () => fetch(`${sb.info.apiBase}/public/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', client_id: sb.info.keystring, refresh_token: body.refresh_token }).toString() });
  for (let i = 0; i < 2; i++) expect((await refresh()).status).toBe(200);
  return body.access_token;
}
