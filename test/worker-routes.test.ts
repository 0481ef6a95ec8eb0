// worker --route/--routes on a real redis-server: each route of an event is its own job (own attempts, retries and
// dead letter), through the same senders as dev's routes; a bad routes file is refused before anything connects.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { recorder } from './support/recorder.js';
import { it, post, runCli, signed, waitFor } from './support/index.js';
import { redis, redisClient, serve, worker } from './support/redis.js';

function lines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('worker with routes', () => {
  it('sends each event type to its own routes: two HTTP routes by type and an exec route (body on stdin, event in env)', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const { url } = await serve(cleanups, r, h);
    const orders = await recorder(cleanups);
    const listings = await recorder(cleanups);
    const script = join(h.dir, 'on-paid.sh');
    writeFileSync(script, '#!/bin/sh\ncat > "$0.body"\necho "$ETSYHOOK_EVENT_TYPE $ETSYHOOK_EVENT_ID $WEBHOOK_ID $ETSYHOOK_SHOP_ID" > "$0.env"\n');
    chmodSync(script, 0o755);
    const w = await worker(cleanups, r, h, ['--route', `order.*=${orders.url}`, '--route', `listing.*=${listings.url}`, '--route', `order.paid=exec:${script}`]);
    const paid = signed({ type: 'order.paid' });
    const listing = signed({ type: 'listing.created' });
    const paidId = (await post(url, paid)).json().id as string;
    expect((await post(url, listing)).status).toBe(200);
    await waitFor('three deliveries', () => lines(w.stdout()).filter((l) => l.status === 'delivered').length === 3, 10_000);
    expect(orders.requests.map((q) => q.body.toString())).toEqual([paid.body.toString()]);
    expect(orders.requests[0]!.headers['webhook-signature']).toBe(paid.headers['webhook-signature']);
    expect(listings.requests.map((q) => q.body.toString())).toEqual([listing.body.toString()]);
    expect(readFileSync(`${script}.body`).equals(paid.body)).toBe(true);
    expect(readFileSync(`${script}.env`, 'utf8').trim()).toBe(`order.paid ${paidId} ${paid.id} 12345678`);
    const byRoute = lines(w.stdout()).map((l) => [l.route, l.target]).sort();
    expect(byRoute).toEqual(
      [
        [`listing.*=${listings.url}`, listings.url],
        [`order.*=${orders.url}`, orders.url],
        [`order.paid=exec:${script}`, `exec:${script}`],
      ].sort(),
    );
    // Every job settled: nothing left in the jobs stream.
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(0);
  });

  it('a failing route is retried then dead while the others deliver once; events list says dead; replay --failed re-runs only it', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const { url } = await serve(cleanups, r, h);
    let healthy = false;
    const flaky = await recorder(cleanups, { status: () => (healthy ? 200 : 500) });
    const good = await recorder(cleanups);
    const slack = await recorder(cleanups, { path: '/services/T000/B000/s3cretpath' });
    const file = join(h.dir, 'routes.yaml');
    writeFileSync(
      file,
      `routes:\n  - events: ['order.*']\n    to: ${flaky.url}\n    max_attempts: 3\n  - events: ['*']\n    to: ${good.url}\n  - events: [order.paid]\n    to: slack:${slack.url}\n`,
    );
    const w = await worker(cleanups, r, h, ['--routes', file, '--retry-schedule', '0,100ms,200ms,300ms']);
    const id = (await post(url, signed({ type: 'order.paid' }))).json().id as string;
    await waitFor('the dead letter on the failing route', () => w.stdout().includes('"status":"dead"'), 10_000);
    await waitFor('the other routes', () => good.requests.length === 1 && slack.requests.length === 1, 10_000);
    expect(flaky.requests.length).toBe(3);
    expect(good.requests.length).toBe(1);
    const flakyLines = lines(w.stdout()).filter((l) => l.target === flaky.url);
    expect(flakyLines.map((l) => [l.attempt, l.status])).toEqual([[1, 'failed'], [2, 'failed'], [3, 'dead']]);
    expect(slack.requests[0]!.url).toBe('/services/T000/B000/s3cretpath');
    expect(JSON.parse(slack.requests[0]!.body.toString()).text).toContain('order.paid');
    expect(w.stdout() + w.stderr()).not.toContain('s3cretpath');
    expect(w.stderr()).toMatch(/is dead on order\.\*=http/);
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    const dead = await c.send<unknown[]>(['XRANGE', '{etsyhook}:dead', '-', '+']);
    expect(dead.length).toBe(1);
    expect(JSON.stringify(dead)).toContain(`order.*=${flaky.url}`);
    const listed = await runCli(['events', 'list', '--status', 'dead', '--json', '--queue', r.url], { env: h.env });
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((e) => e.id)).toEqual([id]);
    healthy = true;
    // The slack route delivered, so --failed needs no Slack URL: only the failed HTTP route is sent again.
    const replayed = await runCli(['replay', '--failed', '--queue', r.url], { env: h.env });
    expect(replayed.stderr).toContain('1 delivered');
    expect(replayed.code).toBe(0);
    expect(flaky.requests.length).toBe(4);
    expect(good.requests.length).toBe(1);
    const after = JSON.parse((await runCli(['events', 'list', '--json', '--queue', r.url], { env: h.env })).stdout) as { status: string }[];
    expect(after[0]!.status).toBe('delivered');
  });

  it('a worker SIGKILLed mid-delivery on one route: another reclaims that route\'s job; the route that delivered is not sent again', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const { url } = await serve(cleanups, r, h);
    // The first request is never answered (the worker dies waiting), later ones are.
    let taken = 0;
    const slow = await recorder(cleanups, { path: '/slow', body: 'ok', hang: () => ++taken === 1 });
    const seen = slow.requests;
    const slowUrl = slow.url;
    const good = await recorder(cleanups);
    const routes = ['--route', `order.*=${slowUrl}`, '--route', `*=${good.url}`, '--claim-after', '500ms', '--timeout', '60s'];
    const w1 = await worker(cleanups, r, h, routes);
    expect((await post(url, signed({ type: 'order.paid' }))).status).toBe(200);
    await waitFor('the slow route taken and the other delivered', () => seen.length === 1 && w1.stdout().includes('"status":"delivered"'), 10_000);
    await w1.stop('SIGKILL');
    const w2 = await worker(cleanups, r, h, routes);
    await waitFor('the reclaimed route delivered', () => w2.stdout().includes('"status":"delivered"'), 10_000);
    expect(seen.length).toBe(2);
    expect(lines(w2.stdout()).map((l) => [l.route, l.status, l.reclaimed])).toEqual([[`order.*=${slowUrl}`, 'delivered', true]]);
    expect(good.requests.length).toBe(1);
  });

  it('two Slack routes whose masked labels are the same both deliver (the second job numbered), no URL printed', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const { url } = await serve(cleanups, r, h);
    const hooks = await recorder(cleanups);
    const origin = new URL(hooks.url).origin;
    const w = await worker(cleanups, r, h, ['--route', `order.paid=slack:${origin}/services/A/A/secret-a`, '--route', `order.paid=slack:${origin}/services/B/B/secret-b`]);
    expect((await post(url, signed({ type: 'order.paid' }))).status).toBe(200);
    await waitFor('both Slack deliveries', () => lines(w.stdout()).filter((l) => l.status === 'delivered').length === 2, 10_000);
    expect(hooks.requests.map((q) => q.url).sort()).toEqual(['/services/A/A/secret-a', '/services/B/B/secret-b']);
    expect(lines(w.stdout()).map((l) => l.route).sort()).toEqual([`order.paid=slack:${origin}/…`, `order.paid=slack:${origin}/… #2`]);
    expect(w.stdout() + w.stderr()).not.toMatch(/secret-a|secret-b/);
  });

  it('refuses a bad routes file, a bad --route and no target at all with one line and exit 2, before connecting', async ({ home: h }) => {
    const file = join(h.dir, 'routes.yaml');
    writeFileSync(file, `routes:\n  - events: ['order.*']\n    to: ftp://example.com/x\n`);
    // Port 1: nothing listens; a usage error must come first.
    const queue = 'redis://127.0.0.1:1';
    const bad = await runCli(['worker', '--queue', queue, '--routes', file], { env: h.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')[0]).toContain(`${file}: route 1: unknown target scheme 'ftp:'`);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const missing = await runCli(['worker', '--queue', queue, '--routes', join(h.dir, 'nope.yaml')], { env: h.env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    const flag = await runCli(['worker', '--queue', queue, '--route', 'order.paid'], { env: h.env });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--route 'order.paid' is not GLOB=TARGET");
    const none = await runCli(['worker', '--queue', queue], { env: h.env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--forward-to URL, --route GLOB=TARGET or --routes FILE');
    expect(existsSync(file)).toBe(true);
  });
});
