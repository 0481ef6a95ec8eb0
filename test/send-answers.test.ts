// What `send` makes of the answer and of its input: duplicates, a 401's secret source, headers under --verbose,
// --set on fixtures and on --data, types outside the catalog.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { recorder } from './support/recorder.js';
import { cleanEnv, it, runCli, SECRET, startDev } from './support/index.js';

const send = (env: NodeJS.ProcessEnv, args: string[]) => runCli(['send', ...args], { env });

describe('send: duplicates', () => {
  it('a running dev answers a repeated webhook-id as a duplicate: send says so, and how to get past it', async ({ cleanups, home }) => {
    const dev = await startDev(cleanups);
    const first = await send(home.env, ['order.paid', '--to', dev.url, '--secret', SECRET, '--id', 'msg_dup_1']);
    expect(first.code).toBe(0);
    expect(first.stderr).not.toMatch(/duplicate/);
    const again = await send(home.env, ['order.paid', '--to', dev.url, '--secret', SECRET, '--id', 'msg_dup_1', '--json']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/<-- \[200\] [\d.]+ ms {2}duplicate/);
    expect(again.stderr).toMatch(/the receiver already had webhook-id msg_dup_1: acknowledged, not taken again; drop --id/);
    const obj = JSON.parse(again.stdout) as { response: { status: number; duplicate: boolean; headers: Record<string, string> } };
    expect(obj.response).toMatchObject({ status: 'duplicate', httpStatus: 200, duplicate: true });
    expect(obj.response.headers['content-type']).toMatch(/application\/json/);
  });

  it('the older answer shape ("verdict":"duplicate") too; --count counts duplicates apart from delivered', async ({ cleanups, home }) => {
    let n = 0;
    const r = await recorder(cleanups, { body: () => (++n % 2 === 0 ? '{"verdict":"duplicate","id":"evt_x"}' : '{"status":"accepted"}') });
    const res = await send(home.env, ['order.paid', '--to', r.url, '--secret', SECRET, '--count', '10', '--json']);
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout) as { httpStatuses: Record<string, number>; duplicates: number };
    expect(summary.httpStatuses).toEqual({ '200': 10 });
    expect(summary.duplicates).toBe(5);
    expect(res.stderr).toMatch(/^ {4}200 +5$/m);
    expect(res.stderr).toMatch(/^ {4}duplicate +5$/m);
    expect(res.stderr).toMatch(/5 answers said duplicate/);
  });
});

describe('send: a 401', () => {
  it('names which secret source was used, never the secret', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { status: 401, body: '{"error":"bad signature"}' });
    const fromEnv = await send(cleanEnv(home.dir, { ETSY_WEBHOOK_SECRET: SECRET }), ['order.paid', '--to', r.url]);
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).toMatch(/rejected the request \(401\): it was signed with the secret from ETSY_WEBHOOK_SECRET/);
    const fromFlag = await send(home.env, ['order.paid', '--to', r.url, '--secret', SECRET, '--expect', '2xx']);
    expect(fromFlag.code).toBe(1);
    expect(fromFlag.stderr).toMatch(/signed with the secret from --secret/);
    for (const out of [fromEnv.stderr, fromFlag.stderr]) expect(out).not.toContain(SECRET.slice(6, 20));
  });
});

describe('send: --verbose', () => {
  it('shows request and response headers, credentials masked', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { headers: { 'x-app-trace': 'abc', 'set-cookie': 'session=supersecretvalue123' } });
    const res = await send(home.env, ['order.paid', '--to', r.url, '--secret', SECRET, '--verbose']);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/^> content-type: application\/json$/m);
    expect(res.stderr).toMatch(new RegExp(`^> webhook-id: ${r.requests[0]!.headers['webhook-id']}$`, 'm'));
    expect(res.stderr).toMatch(/^< x-app-trace: abc$/m);
    expect(res.stderr).toMatch(/^< set-cookie: sess…••••$/m);
    expect(res.stderr).not.toContain('supersecretvalue123');
    expect(res.stderr).not.toContain(SECRET);
  });
});

describe('send: --set and --data', () => {
  it('--set shop_id=N moves the resource_url to that shop, as --shop does', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home.env, ['order.paid', '--to', r.url, '--secret', SECRET, '--set', 'shop_id=12345678']);
    expect(res.code).toBe(0);
    const body = JSON.parse(r.requests[0]!.body.toString()) as { shop_id: number; resource_url: string };
    expect(body.shop_id).toBe(12345678);
    expect(body.resource_url).toMatch(/^https:\/\/api\.etsy\.com\/v3\/application\/shops\/12345678\/receipts\/\d+$/);
  });

  it('a double-quoted value is a string; bare numbers stay numbers', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home.env, ['listing.updated', '--to', r.url, '--secret', SECRET, '--set', 'name="12"', '--set', 'count=12', '--set', 'quote="say \\"hi\\""']);
    expect(res.code).toBe(0);
    const body = JSON.parse(r.requests[0]!.body.toString()) as Record<string, unknown>;
    expect(body.name).toBe('12');
    expect(body.count).toBe(12);
    expect(body.quote).toBe('say "hi"');
  });

  it('--set applies on top of --data JSON, shop_id and resource_url together', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const file = join(home.dir, 'fixture.json');
    writeFileSync(file, JSON.stringify({ event_type: 'order.paid', shop_id: 1, resource_url: 'https://api.etsy.com/v3/application/shops/1/receipts/99', note: 'kept' }));
    const res = await send(home.env, ['order.paid', '--to', r.url, '--secret', SECRET, '--data', file, '--set', 'shop_id=42', '--set', 'extra.flag=true']);
    expect(res.code).toBe(0);
    expect(JSON.parse(r.requests[0]!.body.toString())).toEqual({
      event_type: 'order.paid',
      shop_id: 42,
      resource_url: 'https://api.etsy.com/v3/application/shops/42/receipts/99',
      note: 'kept',
      extra: { flag: true },
    });
  });

  it('any event type can be sent with --data: a warning outside the catalog, not a refusal', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const file = join(home.dir, 'custom.json');
    writeFileSync(file, '{"event_type":"shop.vacation_started","shop_id":7}');
    const res = await send(home.env, ['shop.vacation_started', '--to', r.url, '--secret', SECRET, '--data', file]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/warning: 'shop\.vacation_started' is not an event type etsyhook knows.*; sending it anyway/);
    expect(r.requests[0]!.body.toString()).toBe('{"event_type":"shop.vacation_started","shop_id":7}');
    // Without a body there is nothing to build: a usage error that says --data would do.
    const refused = await send(home.env, ['shop.vacation_started', '--to', r.url, '--secret', SECRET]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/unknown event type 'shop\.vacation_started'.*any other type can be sent with --data FILE/);
    expect(r.requests).toHaveLength(1);
  });

  it("Etsy's announced events have Etsy's thin shape: listing.* point at the listing, inventory.* at its inventory", async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    for (const type of ['listing.created', 'inventory.out_of_stock']) {
      const res = await send(home.env, [type, '--to', r.url, '--secret', SECRET, '--shop', '555']);
      expect(res.code).toBe(0);
      expect(res.stderr).not.toMatch(/warning/);
    }
    const [listing, inventory] = r.requests.map((q) => JSON.parse(q.body.toString()) as Record<string, unknown>);
    expect(Object.keys(listing!).sort()).toEqual(['event_type', 'resource_url', 'shop_id']);
    expect(listing).toMatchObject({ event_type: 'listing.created', shop_id: 555 });
    expect(listing!.resource_url).toMatch(/^https:\/\/api\.etsy\.com\/v3\/application\/listings\/\d{10}$/);
    expect(inventory).toMatchObject({ event_type: 'inventory.out_of_stock', shop_id: 555 });
    expect(inventory!.resource_url).toMatch(/^https:\/\/api\.etsy\.com\/v3\/application\/listings\/\d{10}\/inventory$/);
  });

  it('the old invented names still send, as Etsy names the event, with a deprecation warning on stderr', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home.env, ['listing.inventory.updated', '--to', r.url, '--secret', SECRET, '--json']);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain("warning: 'listing.inventory.updated' is deprecated: Etsy names this event 'inventory.updated'");
    expect(JSON.parse(res.stdout)).toMatchObject({ event: { payload: { event_type: 'inventory.updated' } } });
    const body = JSON.parse(r.requests[0]!.body.toString()) as Record<string, unknown>;
    expect(body.event_type).toBe('inventory.updated');
    const state = await send(home.env, ['listing.state.updated', '--to', r.url, '--secret', SECRET]);
    expect(state.code).toBe(0);
    expect(state.stderr).toContain("'listing.state.updated' is deprecated: Etsy names this event 'listing.updated'");
    expect(JSON.parse(r.requests[1]!.body.toString())).toMatchObject({ event_type: 'listing.updated' });
  });
});
