// Liveness and readiness: GET /health answers 200 while the process serves, whatever its store (a liveness probe
// must not restart every receiver during a Redis blip); GET /ready answers 503 while the store cannot write.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { it, send, waitFor } from './support/index.js';
import { redis, serve } from './support/redis.js';

describe('/health and /ready', () => {
  it('serve: while Redis is down /health stays 200 with Redis down in its body, /ready is 503; both recover', async ({ cleanups, home }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, home);
    expect((await send(`${s.base}/ready`, { method: 'GET' })).status).toBe(200);
    await r.kill('SIGKILL');
    const notReady = await waitFor('/ready 503', async () => {
      const a = await send(`${s.base}/ready`, { method: 'GET' });
      return a.status === 503 ? a : undefined;
    }, 5_000);
    expect(notReady.json()).toMatchObject({ status: 'not ready', reason: expect.any(String) });
    const live = await send(`${s.base}/health`, { method: 'GET' });
    expect(live.status).toBe(200);
    expect(live.json()).toMatchObject({ status: 'healthy', ready: false, redis: 'down' });
    await r.restart();
    await waitFor('/ready 200 again', async () => (await send(`${s.base}/ready`, { method: 'GET' })).status === 200, 10_000);
    expect((await send(`${s.base}/health`, { method: 'GET' })).json()).toMatchObject({ status: 'healthy', ready: true, redis: 'up' });
  });

  it('dev: /health is 200 while its store cannot write, /ready is 503 with the reason', async ({ home, dev: startDev }) => {
    mkdirSync(join(home.dir, 'events'), { recursive: true });
    symlinkSync('/dev/full', join(home.dir, 'events', 'events.ndjson'));
    const dev = await startDev();
    // The first failed write is what tells the store it cannot write.
    expect((await send(dev.url, { body: '{}' })).status).toBe(401);
    const ready = await send(`${dev.origin}/ready`, { method: 'GET' });
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not ready', reason: expect.stringMatching(/ENOSPC|no space/i) });
    const live = await send(`${dev.origin}/health`, { method: 'GET' });
    expect(live.status).toBe(200);
    expect(live.json()).toMatchObject({ status: 'healthy', ready: false });
  });

  it('dev: /ready is 200 with a store that writes', async ({ dev: startDev }) => {
    const dev = await startDev();
    const ready = await send(`${dev.origin}/ready`, { method: 'GET' });
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready' });
  });
});
