// The existing Etsy commands against the sandbox, unchanged: `auth login` (OAuth with PKCE), `configs
// create/list/delete`, and `events show --expand` fetching the resource_url of an event dev received.
import type { ChildProcess } from 'node:child_process';
import { describe, expect } from 'vitest';
import { appEnv, cleanEnv, it, runCli, SECRET, startCli, startSandbox, unusedPort, waitFor } from './support/index.js';
import { startRecorder } from './support/recorder.js';

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('Etsy commands against the sandbox', () => {
  it('auth login completes the PKCE flow at /oauth/connect; the stored login then works', async ({ cleanups, home }) => {
    const sb = await startSandbox(cleanups, home);
    const port = await unusedPort();
    const env = cleanEnv(home.dir, { ETSY_API_BASE: sb.info.apiBase, ETSY_OAUTH_AUTHORIZE_URL: `${sb.origin}/oauth/connect` });
    const cli = await startCli(['auth', 'login', '--no-browser', '--port', String(port), '--api-key', sb.info.keystring, '--shared-secret', sb.info.sharedSecret, '--json'], { env, ready: /Waiting for Etsy/ });
    try {
      const authorize = new URL(/(http:\/\/127\.0\.0\.1:\d+\/oauth\/connect\?\S+)/.exec(cli.stderr())![1]!);
      const page = await fetch(authorize, { redirect: 'manual' });
      expect(page.status).toBe(302);
      const callback = await fetch(page.headers.get('location')!);
      expect(callback.status).toBe(200);
      await callback.text();
      expect(await exited(cli.child)).toBe(0);
    } finally {
      await cli.stop();
    }
    expect(JSON.parse(cli.stdout())).toMatchObject({ loggedIn: true, userId: sb.info.userId, shopId: sb.info.shopId, scopes: ['shops_r', 'shops_w', 'transactions_r'] });
    // The stored login is enough for the next command.
    const listed = await runCli(['configs', 'list', '--json'], { env });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it('configs create/list/delete manage push configurations; each endpoint gets each event once, under one webhook-id', async ({ cleanups, home }) => {
    const app = await startRecorder();
    const other = await startRecorder();
    cleanups.push(() => app.close(), () => other.close());
    // app is also subscribed for this run (--webhook): a URL stored too is still sent each event once.
    const sb = await startSandbox(cleanups, home, ['--webhook', app.url]);
    const env = appEnv(sb);
    const created = await runCli(['configs', 'create', '--url', app.url, '--events', 'order.paid', '--json'], { env });
    expect(created.code).toBe(0);
    const config = JSON.parse(created.stdout);
    expect(config).toMatchObject({ url: app.url, events: ['order.paid'] });
    expect((await runCli(['configs', 'create', '--url', other.url, '--events', 'order.paid,order.shipped'], { env })).code).toBe(0);
    const listed = await runCli(['configs', 'list', '--json'], { env });
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: config.id, url: app.url }), expect.objectContaining({ url: other.url })]);

    const listingId = (await sb.api(`/application/shops/${sb.info.shopId}/listings`)).body.results[0].listing_id;
    await sb.control('/orders', { listing_id: listingId, pay: true });
    await waitFor('order.paid at both endpoints', () => app.requests.length >= 1 && other.requests.length >= 1);
    await waitFor('both delivery records', () => sb.records().filter((r) => r.kind === 'delivery').length >= 2);
    expect(app.requests).toHaveLength(1);
    expect(JSON.parse(app.requests[0]!.body.toString()).event_type).toBe('order.paid');
    expect(other.requests[0]!.headers['webhook-id']).toBe(app.requests[0]!.headers['webhook-id']);

    const deleted = await runCli(['configs', 'delete', String(config.id), '--yes'], { env });
    expect(deleted.code).toBe(0);
    expect(JSON.parse((await runCli(['configs', 'list', '--json'], { env })).stdout)).toEqual([expect.objectContaining({ url: other.url })]);
    // Etsy itself needs https: an http:// URL is refused against a non-loopback API base.
    const remote = await runCli(['configs', 'create', '--url', app.url, '--events', 'order.paid'], { env: { ...env, ETSY_API_BASE: 'https://api.etsy.com/v3' } });
    expect(remote.code).toBe(2);
    expect(remote.stderr).toMatch(/https/);
  });

  it('events show --expand fetches the receipt an order.paid from the sandbox names', async ({ cleanups, home, dev }) => {
    const receiver = await dev();
    const sb = await startSandbox(cleanups, home, ['--secret', SECRET, '--webhook', receiver.url]);
    const listingId = (await sb.api(`/application/shops/${sb.info.shopId}/listings`)).body.results[0].listing_id;
    const receipt = (await sb.control('/orders', { listing_id: listingId, pay: true })).body;
    const event = await waitFor('the event in dev', () => receiver.store().received.find((r) => r.status === 'accepted'));
    const shown = await runCli(['events', 'show', event.id, '--expand', '--json'], { env: appEnv(sb) });
    expect(shown.code).toBe(0);
    const detail = JSON.parse(shown.stdout);
    expect(detail.resource.url).toBe(`${sb.info.apiBase}/application/shops/${sb.info.shopId}/receipts/${receipt.receipt_id}`);
    expect(detail.resource.data).toMatchObject({ receipt_id: receipt.receipt_id, status: 'paid', is_paid: true });
  });
});
