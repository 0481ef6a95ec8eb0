// A request answered 503 because it could not be stored has its own outcome word, `unstored`: in serve's and dev's
// NDJSON logs (never `accepted` with a 503), in /metrics, and as a status every filter takes.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { it, post, runCli, send, signed, waitFor } from './support/index.js';
import { inspect } from './support/inspector.js';
import { redis, serve } from './support/redis.js';

function lines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('unstored', () => {
  it('serve: a request refused while Redis is down is logged unstored, as /metrics counts it', async ({ cleanups, home }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, home);
    await r.kill('SIGKILL');
    const ev = signed();
    expect((await post(s.url, ev)).status).toBe(503);
    const line = await waitFor('the request line', () => lines(s.proc.stdout()).find((l) => l.webhookId === ev.id));
    expect(line).toMatchObject({ kind: 'received', status: 'unstored', httpStatus: 503, stored: false, id: expect.any(String) });
    const metrics = await send(`${s.base}/metrics`, { method: 'GET' });
    expect(metrics.body).toMatch(/etsyhook_requests_total\{verdict="unstored"\} 1/);
    expect(metrics.body).not.toMatch(/verdict="accepted"/);
  });

  it('dev --json: a request its store could not keep is logged unstored; a rejected one keeps its word', async ({ home, dev: startDev }) => {
    mkdirSync(join(home.dir, 'events'), { recursive: true });
    // Every write to /dev/full fails with ENOSPC.
    symlinkSync('/dev/full', join(home.dir, 'events', 'events.ndjson'));
    const dev = await startDev(['--json']);
    const ev = signed();
    expect((await post(dev.url, ev)).status).toBe(503);
    expect((await send(dev.url, { body: '{}' })).status).toBe(401);
    const logged = await waitFor('both lines', () => (lines(dev.stdout()).length === 2 ? lines(dev.stdout()) : undefined), 5_000);
    expect(logged.find((l) => l.webhookId === ev.id)).toMatchObject({ status: 'unstored', httpStatus: 503, stored: false });
    expect(logged.find((l) => l.webhookId !== ev.id)).toMatchObject({ status: 'rejected', httpStatus: 401 });
  });

  it('is a status word the filters take (events list, the inspector), which no stored event has', async ({ cleanups, home }) => {
    const listed = await runCli(['events', 'list', '--status', 'unstored', '--json'], { env: home.env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
    const page = await inspect(cleanups, home.env);
    const api = await send(`${page.url}api/events?status=unstored`, { method: 'GET' });
    expect(api.status, api.body).toBe(200);
    expect(api.json()).toEqual({ events: [], next: null });
    const html = await send(page.url, { method: 'GET' });
    expect(html.body).toMatch(/<option[^>]*>unstored<\/option>/);
  });
});
