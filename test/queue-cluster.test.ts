// serve, worker, dev --queue and the readers on a real three-node Redis Cluster, pointed at a node that does NOT own
// the {etsyhook} slot (CLUSTER KEYSLOT {etsyhook} = 5045): the cluster is found from a plain redis:// URL (or named
// by redis+cluster://), every command goes to the slot's owner, and /ready is a write to that slot.
import { beforeAll, describe, expect } from 'vitest';
import { recorder } from './support/recorder.js';
import { it, newHome, post, runCli, SECRET, send, signed, startCli, startDev, waitFor } from './support/index.js';
import { eventStream, inspect } from './support/inspector.js';
import { ETSYHOOK_SLOT, REDIS_CLI, redisClient, redisCluster, serve, worker } from './support/redis.js';

beforeAll(async () => {
  const { existsSync } = await import('node:fs');
  expect(existsSync(REDIS_CLI), 'redis-cli (Debian package redis-tools) is needed').toBe(true);
});

// A cluster is three servers and a join: more to start than one redis-server, on a machine the whole suite shares.
const SLOW = { timeout: 60_000 };

function lines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('on a Redis Cluster, at a node that does not own the {etsyhook} slot', SLOW, () => {
  it('serve stores (200) on the slot owner and /ready says ready; worker delivers; events, tail and replay read it', async ({ cleanups, home: h }) => {
    const cl = await redisCluster(cleanups);
    const node = await cl.notOwner();
    const check = await redisClient(node.url);
    cleanups.push(check.close);
    expect(Number(await check.send(['CLUSTER', 'KEYSLOT', '{etsyhook}']))).toBe(ETSYHOOK_SLOT);
    // A plain client at this node is sent elsewhere: what serve answered 503 for before.
    await expect(check.send(['XLEN', '{etsyhook}:jobs'])).rejects.toThrow(/MOVED 5045/);

    const s = await serve(cleanups, node, h);
    expect(s.proc.stderr()).toContain(`events go to Redis Cluster at 127.0.0.1:${node.port}`);
    const ready = await send(`${s.base}/ready`, { method: 'GET' });
    expect(ready.status, ready.body).toBe(200);
    const tail = await startCli(['tail', '--json', '--queue', node.url], { env: h.env, ready: /following the Redis history/ });
    cleanups.push(() => tail.stop('SIGKILL'));
    const ev = signed({ type: 'order.paid' });
    const answer = await post(s.url, ev);
    expect(answer.status, answer.body).toBe(200);
    const id = answer.json().id as string;
    const owner = await redisClient((await cl.owner()).url);
    cleanups.push(owner.close);
    expect(await owner.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(1);
    expect((await post(s.url, ev)).json().status).toBe('duplicate');

    const app = await recorder(cleanups);
    const w = await worker(cleanups, node, h, ['--forward-to', app.url]);
    expect(w.stderr()).toContain(`delivering from Redis Cluster at 127.0.0.1:${node.port}`);
    await waitFor('the delivery', () => app.requests.length === 1, 10_000);
    expect(app.requests[0]!.body.equals(ev.body)).toBe(true);
    await waitFor('three tail lines', () => lines(tail.stdout()).length >= 3, 10_000);
    expect(lines(tail.stdout()).map((l) => [l.kind, l.id, l.status])).toEqual([
      ['received', id, 'accepted'],
      ['received', expect.any(String), 'duplicate'],
      ['delivery', id, 'delivered'],
    ]);

    const listed = await runCli(['events', 'list', '--json', '--queue', node.url], { env: h.env });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string; status: string }[]).map((e) => e.status)).toEqual(['duplicate', 'delivered']);
    const shown = await runCli(['events', 'show', ev.id, '--json', '--queue', node.url], { env: h.env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, status: 'delivered', attempts: 1 });

    const replayed = await runCli(['replay', id, '--to', app.url, '--queue', node.url, '--json'], { env: h.env });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(app.requests).toHaveLength(2);
    const after = JSON.parse((await runCli(['events', 'show', id, '--json', '--queue', node.url], { env: h.env })).stdout) as { attempts: number };
    expect(after.attempts).toBe(2);
  });

  it('dev --queue with --forward-to keeps events on the slot owner and delivers them itself', async ({ cleanups }) => {
    const cl = await redisCluster(cleanups);
    const node = await cl.notOwner();
    const app = await recorder(cleanups);
    const dev = await startDev(cleanups, ['--queue', node.url, '--forward-to', app.url]);
    const ev = signed({ type: 'order.shipped' });
    const answer = await post(dev.url, ev);
    expect(answer.status, answer.body).toBe(200);
    const id = answer.json().id as string;
    await waitFor('the delivery', () => app.requests.length === 1, 10_000);
    await waitFor('the attempt recorded', async () => {
      const shown = await runCli(['events', 'show', id, '--json', '--queue', node.url], { env: dev.env });
      return shown.code === 0 && (JSON.parse(shown.stdout) as { status: string }).status === 'delivered';
    }, 10_000);
    const owner = await redisClient((await cl.owner()).url);
    cleanups.push(owner.close);
    // Kept in the history, not queued for workers (dev delivered it).
    expect(await owner.send<number>(['XLEN', '{etsyhook}:history'])).toBe(2);
    expect(await owner.send<number>(['EXISTS', '{etsyhook}:jobs'])).toBe(0);
  });

  it('inspect --queue lists, streams live and replays', async ({ cleanups }) => {
    const cl = await redisCluster(cleanups);
    const node = await cl.notOwner();
    const h = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const s = await serve(cleanups, node, h);
    const first = (await post(s.url, signed({ type: 'order.paid' }))).json().id as string;
    const ins = await inspect(cleanups, h.env, ['--queue', node.url]);
    const listed = await send(`${ins.url}api/events`, { method: 'GET' });
    expect(listed.status, listed.body).toBe(200);
    expect((listed.json().events as { id: string }[]).map((e) => e.id)).toEqual([first]);
    const live = eventStream(cleanups, `${ins.url}api/stream`);
    await waitFor('the stream to be ready', () => live.events.some((e) => e.event === 'ready'));
    const second = (await post(s.url, signed({ type: 'order.canceled' }))).json().id as string;
    await waitFor('the new event in the stream', () => live.events.some((e) => e.event === 'received' && e.data.id === second), 10_000);
    const target = await recorder(cleanups);
    const token = /name="etsyhook-token" content="([^"]+)"/.exec((await send(ins.url, { method: 'GET' })).body)![1]!;
    const replayed = await send(`${ins.url}api/events/${first}/replay`, {
      headers: { 'content-type': 'application/json', 'x-etsyhook-token': token },
      body: JSON.stringify({ to: target.url }),
    });
    expect(replayed.status, replayed.body).toBe(200);
    expect(replayed.json()).toMatchObject({ id: first, delivered: true, recorded: true });
    expect(target.requests).toHaveLength(1);
  });

  it('/ready is a write to the slot: 503 while the slot owner is down, though the node serve names still answers', async ({ cleanups, home: h }) => {
    const cl = await redisCluster(cleanups);
    const node = await cl.notOwner();
    const s = await serve(cleanups, node, h);
    expect((await send(`${s.base}/ready`, { method: 'GET' })).status).toBe(200);
    const owner = await cl.owner();
    await owner.kill();
    const check = await redisClient(node.url);
    cleanups.push(check.close);
    expect(await check.send(['PING'])).toBe('PONG');
    const down = await send(`${s.base}/ready`, { method: 'GET' });
    expect(down.status).toBe(503);
    expect(down.json()).toMatchObject({ status: 'not ready' });
    expect((await post(s.url, signed())).status).toBe(503);
    await waitFor('serve says so', () => s.proc.stderr().includes(`lost Redis at 127.0.0.1:${node.port}`), 5_000);
    await owner.restart();
    await waitFor('/ready again', async () => (await send(`${s.base}/ready`, { method: 'GET' })).status === 200, 20_000);
    expect((await post(s.url, signed())).status).toBe(200);
    await waitFor('serve says it is back', () => s.proc.stderr().includes('is back: accepting events again'), 5_000);
    expect(s.proc.stderr().match(/lost Redis/g)).toHaveLength(1);
  });
});

describe('a script lost by the slot owner (restart, SCRIPT FLUSH)', SLOW, () => {
  it('is loaded on the owner again even while another node is down', async ({ cleanups, home: h }) => {
    const cl = await redisCluster(cleanups);
    const owner = await cl.owner();
    const [at, other] = cl.nodes.filter((n) => n !== owner);
    const s = await serve(cleanups, at!, h);
    expect((await post(s.url, signed())).status).toBe(200);
    await other!.kill();
    const c = await redisClient(owner.url);
    cleanups.push(c.close);
    await c.send(['SCRIPT', 'FLUSH']);
    const answer = await post(s.url, signed());
    expect(answer.status, answer.body).toBe(200);
    expect(await c.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(2);
  });
});

describe('redis+cluster:// names several seed nodes', SLOW, () => {
  it('serve and worker take the seeds; a --legacy-queue outside the slot is refused in one line (exit 2)', async ({ cleanups, home: h }) => {
    const cl = await redisCluster(cleanups);
    const owner = await cl.owner();
    const others = cl.nodes.filter((n) => n !== owner);
    const seeds = `redis+cluster://${others.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
    const s = await startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--secret', SECRET, '--queue', seeds, '--legacy-queue', '{etsyhook}:legacy'], {
      env: h.env,
      ready: /serve: listening/,
    });
    cleanups.push(() => s.stop('SIGKILL'));
    const port = Number(/listening on http:\/\/[^:]+:(\d+)\//.exec(s.stderr())![1]);
    expect((await post(`http://127.0.0.1:${port}/webhook`, signed())).status).toBe(200);
    const c = await redisClient(owner.url);
    cleanups.push(c.close);
    expect(await c.send<number>(['LLEN', '{etsyhook}:legacy'])).toBe(1);
    const app = await recorder(cleanups);
    await startCli(['worker', '--queue', seeds, '--forward-to', app.url], { env: h.env, ready: /delivering from Redis/ }).then((w) => cleanups.push(() => w.stop('SIGKILL')));
    await waitFor('the delivery', () => app.requests.length === 1, 10_000);

    const refused = await runCli(['serve', '--port', '0', '--secret', SECRET, '--queue', seeds, '--legacy-queue', 'webhook_queue'], { env: h.env, timeoutMs: 15_000 });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/--legacy-queue webhook_queue is in another slot of the Redis Cluster/);
    expect(refused.stderr).toContain("--legacy-queue '{etsyhook}webhook_queue'");
  });

  it('a malformed redis+cluster:// URL is one usage line (exit 2), its password never printed', async ({ home: h }) => {
    for (const [url, said] of [
      ['redis+cluster://:s3cretpw@127.0.0.1:7000,127.0.0.1:notaport', /'127\.0\.0\.1:notaport' in the redis\+cluster:\/\/ URL is not host:port/],
      ['redis+cluster://127.0.0.1:7000,,127.0.0.1:7001', /'' in the redis\+cluster:\/\/ URL is not host:port/],
      ['redis+cluster://127.0.0.1:7000/3', /a Redis Cluster has only database 0, got '\/3'/],
      ['redis+cluster://', /names no host/],
    ] as const) {
      const res = await runCli(['events', 'list', '--queue', url], { env: h.env });
      expect(res.code, `${url}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(said);
      expect(res.stderr).not.toContain('s3cretpw');
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
