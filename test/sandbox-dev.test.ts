// `etsyhook dev --sandbox`: the receiver and the local Etsy in one process; the sandbox's webhooks, signed with
// dev's own secret, land in dev's store and its inspector.
import { describe, expect } from 'vitest';
import { it, runCli, waitFor } from './support/index.js';

describe('dev --sandbox', () => {
  it('delivers the sandbox\'s order.paid into dev\'s store and inspector, and the banner gives the app its env', async ({ dev }) => {
    const d = await dev(['--sandbox', '--sandbox-port', '0', '--inspect-port', '0']);
    const banner = d.stderr();
    const env = Object.fromEntries([...banner.matchAll(/^\s+(ETSY_[A-Z_]+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(env)).toEqual(['ETSY_API_BASE', 'ETSY_API_KEY', 'ETSY_SHARED_SECRET', 'ETSY_ACCESS_TOKEN', 'ETSY_REFRESH_TOKEN', 'ETSY_SHOP_ID', 'ETSY_WEBHOOK_SECRET', 'ETSY_OAUTH_AUTHORIZE_URL']);
    expect(banner).not.toMatch(/Public\s+https/);
    const origin = new URL(env.ETSY_API_BASE!).origin;
    const headers = { 'x-api-key': `${env.ETSY_API_KEY}:${env.ETSY_SHARED_SECRET}`, authorization: `Bearer ${env.ETSY_ACCESS_TOKEN}` };
    const listings = (await (await fetch(`${env.ETSY_API_BASE}/application/shops/${env.ETSY_SHOP_ID}/listings`, { headers })).json()) as { results: { listing_id: number }[] };
    const created = await runCli(['sandbox', 'order', 'create', '--listing', String(listings.results[0]!.listing_id), '--pay', '--json'], { env: { ...d.env, ETSYHOOK_SANDBOX: origin } });
    expect(created.code).toBe(0);
    const receipt = JSON.parse(created.stdout) as { receipt_id: number };

    const event = await waitFor('order.paid in dev\'s store', () => d.store().received.find((r) => r.type === 'order.paid'));
    expect(event.status).toBe('accepted');
    expect(JSON.parse(event.body!)).toEqual({ event_type: 'order.paid', resource_url: `${env.ETSY_API_BASE}/application/shops/${env.ETSY_SHOP_ID}/receipts/${receipt.receipt_id}`, shop_id: Number(env.ETSY_SHOP_ID) });
    const inspectUrl = /Inspect\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(banner)![1]!;
    const listed = (await (await fetch(new URL('/api/events', inspectUrl))).json()) as unknown;
    expect(JSON.stringify(listed)).toContain(event.id);
    expect(await d.stop('SIGTERM')).toBe(0);
  });

  it('--sandbox-port without --sandbox is a usage error', async ({ home }) => {
    const r = await runCli(['dev', '--sandbox-port', '5101'], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sandbox-port needs --sandbox/);
  });
});
