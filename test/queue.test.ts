// serve and worker on a real redis-server: a 2xx only once Redis has the event, shared de-duplication, delivery,
// retries then dead letters visible to events/replay, Redis down → 503 and back, one-line errors.
import { beforeAll, describe, expect } from 'vitest';
import { recorder } from './support/recorder.js';
import { it, post, runCli, SECRET, send, signed, startCli, startDev, unusedPort, waitFor } from './support/index.js';
import { redis, redisClient, serve, worker } from './support/redis.js';

function lines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  const { existsSync } = await import('node:fs');
  expect(existsSync('/usr/bin/redis-server'), 'redis-server (Debian package redis-server) is needed').toBe(true);
});

describe('serve + worker', () => {
  it('answers 200 once the event is in Redis, and a worker delivers it byte-exact', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    const app = await recorder(cleanups);
    const ev = signed({ type: 'order.paid' });
    const answer = await post(s.url, ev);
    expect(answer.status).toBe(200);
    const id = answer.json().id as string;
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(1);
    await worker(cleanups, r, h, ['--forward-to', app.url]);
    await waitFor('the delivery', () => app.requests.length === 1, 10_000);
    expect(app.requests[0]!.body.equals(ev.body)).toBe(true);
    expect(app.requests[0]!.headers['webhook-id']).toBe(ev.id);
    await waitFor('the job settled', async () => (await c.send<number>(['XLEN', '{etsyhook}:jobs'])) === 0, 5_000);
    const listed = await runCli(['events', 'list', '--json', '--queue', r.url], { env: h.env });
    expect(listed.code).toBe(0);
    const events = JSON.parse(listed.stdout) as { id: string; status: string; deliveries: unknown[] }[];
    expect(events.map((e) => [e.id, e.status])).toEqual([[id, 'delivered']]);
    const line = lines(s.proc.stdout())[0]!;
    expect(line).toMatchObject({ kind: 'received', id, status: 'accepted', httpStatus: 200, type: 'order.paid' });
  });

  it('de-duplicates a webhook-id across two serve processes sharing Redis', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const [a, b] = await Promise.all([serve(cleanups, r, h), serve(cleanups, r, h)]);
    const ev = signed();
    expect((await post(a.url, ev)).status).toBe(200);
    const second = await post(b.url, ev);
    expect(second.status).toBe(200);
    expect(second.json().status).toBe('duplicate');
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(1);
    await waitFor('the duplicate line', () => b.proc.stdout().includes('"status":"duplicate"'), 5_000);
    const listed = JSON.parse((await runCli(['events', 'list', '--json', '--queue', r.url], { env: h.env })).stdout) as { status: string }[];
    expect(listed.map((e) => e.status).sort()).toEqual(['duplicate', 'pending']); // queued, no worker yet
    const byWebhookId = await runCli(['events', 'show', ev.id, '--json', '--queue', r.url], { env: h.env });
    expect(byWebhookId.code, byWebhookId.stderr).toBe(0);
    expect(JSON.parse(byWebhookId.stdout)).toMatchObject({ webhookId: ev.id, verdict: 'accepted' });
  });

  it('retries on the schedule, dead-letters, shows it to events list --status dead, and replay --failed re-drives it', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    let healthy = false;
    const app = await recorder(cleanups, { status: () => (healthy ? 200 : 500) });
    const w = await worker(cleanups, r, h, ['--forward-to', app.url, '--retry-schedule', '0,100ms,200ms']);
    const answer = await post(s.url, signed({ type: 'order.shipped' }));
    const id = answer.json().id as string;
    await waitFor('the dead letter', () => w.stdout().includes('"status":"dead"'), 10_000);
    expect(app.requests.length).toBe(3);
    const attempts = lines(w.stdout());
    expect(attempts.map((l) => [l.attempt, l.status])).toEqual([[1, 'failed'], [2, 'failed'], [3, 'dead']]);
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    expect(await c.send<number>(['XLEN', '{etsyhook}:dead'])).toBe(1);
    const dead = await runCli(['events', 'list', '--status', 'dead', '--json', '--queue', r.url], { env: h.env });
    expect((JSON.parse(dead.stdout) as { id: string }[]).map((e) => e.id)).toEqual([id]);
    healthy = true;
    const replayed = await runCli(['replay', '--failed', '--queue', r.url, '--json'], { env: h.env });
    expect(replayed.stderr).toContain('1 delivered');
    expect(replayed.code).toBe(0);
    expect(app.requests.length).toBe(4);
    const after = JSON.parse((await runCli(['events', 'list', '--json', '--queue', r.url], { env: h.env })).stdout) as { status: string; attempts: number }[];
    expect(after[0]).toMatchObject({ status: 'delivered', attempts: 4 });
    const show = await runCli(['events', 'show', id.slice(0, 8), '--queue', r.url, '--json'], { env: h.env });
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ id, status: 'delivered' });
  });

  it('answers 503 (never 2xx) while Redis is down, /ready says so, and recovers by itself', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    expect((await post(s.url, signed())).status).toBe(200);
    await r.kill('SIGKILL');
    const down = await post(s.url, signed());
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    await waitFor('/ready 503', async () => (await send(`${s.base}/ready`, { method: 'GET' })).status === 503, 5_000);
    await r.restart();
    await waitFor('/ready 200 again', async () => (await send(`${s.base}/ready`, { method: 'GET' })).status === 200, 10_000);
    expect((await post(s.url, signed())).status).toBe(200);
    const metrics = await send(`${s.base}/metrics`, { method: 'GET' });
    expect(metrics.body).toMatch(/etsyhook_requests_total\{verdict="accepted"\} 2/);
    expect(metrics.body).toMatch(/etsyhook_requests_total\{verdict="unstored"\} 1/);
    expect(metrics.body).toMatch(/etsyhook_queue_depth 2/);
    expect(metrics.body).toContain('etsyhook_request_duration_seconds_bucket');
    expect(s.proc.stderr()).toContain('lost Redis');
    // Both accepted events survived the crash (appendfsync always); the refused one is nowhere.
    const listed = JSON.parse((await runCli(['events', 'list', '--json', '--queue', r.url], { env: h.env })).stdout) as unknown[];
    expect(listed.length).toBe(2);
  });

  it('answers 503 while Redis refuses writes (out of memory), and 200 again once it takes them', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    await c.send(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    await c.send(['CONFIG', 'SET', 'maxmemory', '1']);
    const refused = await post(s.url, signed());
    expect(refused.status).toBe(503);
    expect(refused.json().error).toMatch(/Redis refuses writes: OOM/);
    await c.send(['CONFIG', 'SET', 'maxmemory', '0']);
    expect((await post(s.url, signed())).status).toBe(200);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(1);
  });

  it('a worker killed with SIGKILL mid-delivery: another reclaims its event after --claim-after', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    const app = await recorder(cleanups);
    const slow = await recorder(cleanups, { hang: true });
    const w1 = await worker(cleanups, r, h, ['--forward-to', slow.url, '--claim-after', '500ms']);
    await post(s.url, signed());
    await waitFor('the first worker taking the event', () => slow.requests.length === 1, 5_000);
    await w1.stop('SIGKILL');
    const w2 = await worker(cleanups, r, h, ['--forward-to', app.url, '--claim-after', '500ms']);
    await waitFor('the reclaimed delivery', () => app.requests.length === 1, 10_000);
    expect(app.requests[0]!.headers['x-etsyhook-attempt']).toBe('1');
    await waitFor('the reclaimed line', () => w2.stdout().includes('"reclaimed":true'), 5_000);
  });

  it('a delivery slower than --claim-after is not taken over by another worker (the worker keeps it claimed)', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    const app = await recorder(cleanups, { delayMs: 2_000 });
    const args = ['--forward-to', app.url, '--claim-after', '300ms'];
    await Promise.all([worker(cleanups, r, h, args), worker(cleanups, r, h, args)]);
    await post(s.url, signed());
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    // Settled: acknowledged and deleted, so no worker can take it any more; every request sent is in by now.
    await waitFor('the delivery settled', async () => app.requests.length > 0 && (await c.send<number>(['XLEN', '{etsyhook}:jobs'])) === 0, 15_000);
    expect(app.requests.length).toBe(1);
  });

  it('tail --queue follows what every receiver and worker records; SIGTERM stops serve, worker and tail with exit 0', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h);
    const app = await recorder(cleanups);
    const tail = await startCli(['tail', '--json', '--queue', r.url], { env: h.env, ready: /following the Redis history/ });
    cleanups.push(() => tail.stop('SIGKILL'));
    const w = await worker(cleanups, r, h, ['--forward-to', app.url]);
    const id = (await post(s.url, signed({ type: 'order.canceled' }))).json().id as string;
    await waitFor('two tail lines', () => lines(tail.stdout()).length >= 2, 10_000);
    expect(lines(tail.stdout()).map((l) => [l.kind, l.id, l.status, l.type])).toEqual([
      ['received', id, 'accepted', 'order.canceled'],
      ['delivery', id, 'delivered', 'order.canceled'],
    ]);
    expect(await s.proc.stop('SIGTERM')).toBe(0);
    expect(await w.stop('SIGTERM')).toBe(0);
    expect(await tail.stop('SIGTERM')).toBe(0);
  });

  it('trims the history to --retain', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h, ['--retain', '1s']);
    await post(s.url, signed());
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    expect(await c.send<number>(['XLEN', '{etsyhook}:history'])).toBe(1);
    await waitFor('the history trimmed', async () => (await c.send<number>(['XLEN', '{etsyhook}:history'])) === 0, 5_000);
  });

  it('keeps at most --retain N records of history', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, h, ['--retain', '7d,5']);
    for (let i = 0; i < 8; i++) expect((await post(s.url, signed())).status).toBe(200);
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    expect(await c.send<number>(['XLEN', '{etsyhook}:history'])).toBe(5);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(8); // the queue itself is never trimmed
    const listed = JSON.parse((await runCli(['events', 'list', '--json', '--queue', r.url], { env: h.env })).stdout) as unknown[];
    expect(listed.length).toBe(5);
  });
});

describe('dev --queue', () => {
  it('with --forward-to: kept in Redis, delivered by dev itself (not queued for workers); without: queued for a worker', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const app = await recorder(cleanups);
    const dev = await startDev(cleanups, ['--queue', r.url, '--forward-to', app.url, '--legacy-queue', 'etsy_webhooks'], { home: h });
    const id = (await post(dev.url, signed({ body: '{"event_type":"order.paid","price":1.0}' }))).json().id as string;
    await waitFor('dev delivering', () => app.requests.length === 1, 10_000);
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(0);
    expect(await c.send<string[]>(['LRANGE', 'etsy_webhooks', '0', '-1'])).toEqual(['{"event_type": "order.paid", "price": 1.0}']);
    await waitFor('events list (ETSYHOOK_QUEUE) showing it delivered', async () => {
      const listed = JSON.parse((await runCli(['events', 'list', '--json'], { env: { ...h.env, ETSYHOOK_QUEUE: r.url } })).stdout) as { id: string; status: string }[];
      return listed.length === 1 && listed[0]!.id === id && listed[0]!.status === 'delivered';
    }, 10_000);
    await dev.stop('SIGTERM');

    const queued = await startDev(cleanups, ['--queue', r.url], { home: h });
    expect((await post(queued.url, signed())).status).toBe(200);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(1);
    await worker(cleanups, r, h, ['--forward-to', app.url]);
    await waitFor('the worker delivering what dev queued', () => app.requests.length === 2, 10_000);
  });

  it('with --route: dev delivers by its routes, attempts recorded in Redis with the route', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups);
    const app = await recorder(cleanups);
    const dev = await startDev(cleanups, ['--queue', r.url, '--route', `order.*=${app.url}`], { home: h });
    const id = (await post(dev.url, signed({ type: 'order.paid' }))).json().id as string;
    await waitFor('the route delivering', () => app.requests.length === 1, 10_000);
    const c = await redisClient(r.url);
    cleanups.push(c.close);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(0);
    const shown = await waitFor('the attempt in Redis', async () => {
      const r2 = await runCli(['events', 'show', id, '--json', '--queue', r.url], { env: h.env });
      const ev = JSON.parse(r2.stdout) as { status: string; deliveries: { route: string | null }[] };
      return ev.status === 'delivered' ? ev : undefined;
    }, 10_000);
    expect(shown.deliveries[0]!.route).toBe(`order.*=${app.url}`);
  });

  it('--legacy-queue without --queue is a usage error', async ({ home: h }) => {
    const r = await runCli(['dev', '--no-tunnel', '--secret', SECRET, '--legacy-queue', 'etsy_webhooks'], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --legacy-queue needs a Redis key and --queue/);
  });
});

describe('one clear line for each bad start', () => {
  it('no --queue, a wrong URL, a dead Redis', async ({ home: h }) => {
    const noQueue = await runCli(['serve', '--secret', SECRET], { env: h.env });
    expect(noQueue.code).toBe(2);
    expect(noQueue.stderr).toMatch(/^error: serve needs a Redis queue: --queue/);
    const wrong = await runCli(['worker', '--queue', 'http://127.0.0.1:6379', '--forward-to', 'http://127.0.0.1:1/x'], { env: h.env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: --queue must start with redis:\/\//);
    const port = await unusedPort();
    const dead = await runCli(['serve', '--secret', SECRET, '--port', '0', '--queue', `redis://127.0.0.1:${port}`], { env: h.env });
    expect(dead.code).toBe(1);
    expect(dead.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: cannot use Redis at 127\.0\.0\.1:\d+: connection refused/)]);
  });

  it('a refused password, a missing password, rediss:// on a plain port', async ({ cleanups, home: h }) => {
    const r = await redis(cleanups, { password: 'sesame' });
    const badAuth = await runCli(['events', 'list', '--queue', `redis://:wrong@127.0.0.1:${r.port}`], { env: h.env });
    expect(badAuth.code).toBe(1);
    expect(badAuth.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: cannot use Redis at .*: the password \(or user\) in the URL was refused/)]);
    expect(badAuth.stderr).not.toContain('wrong');
    const noAuth = await runCli(['events', 'list', '--queue', `redis://127.0.0.1:${r.port}`], { env: h.env });
    expect(noAuth.stderr.trim().split('\n')).toEqual([expect.stringMatching(/Redis wants a password/)]);
    const tls = await runCli(['events', 'list', '--queue', `rediss://127.0.0.1:${r.port}`], { env: h.env, timeoutMs: 20_000 });
    expect(tls.code).toBe(1);
    expect(tls.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: cannot use Redis at 127\.0\.0\.1:\d+: (timed out without a TLS answer|the connection was closed during the TLS handshake|TLS failed)/)]);
  });
});
