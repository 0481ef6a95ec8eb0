// What a user reads should be what is true: hints that run as printed, addresses and ports as they are, and what a
// damaged store can and cannot tell.
import { appendFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect } from 'vitest';
import { it, post, runCli, signed, startCli, waitFor } from './support/index.js';
import { recorder } from './support/recorder.js';
import { redis } from './support/redis.js';
import { logFile, received, writeStore } from './support/fixtures.js';
import { formatRecord } from '../src/core/log/records.js';

describe('hints and lines that say what is true', () => {
  it('tail --queue: the resend hint of a dead event names --queue, and runs as printed', async ({ cleanups, home, dev: startDev }) => {
    const r = await redis(cleanups);
    const app = await recorder(cleanups, { status: 500 });
    const dev = await startDev(['--queue', r.url, '--forward-to', app.url, '--max-attempts', '1']);
    const id = (await post(dev.url, signed())).json().id as string;
    const tail = await startCli(['tail', '--queue', r.url, '--since', '1h'], { env: home.env, ready: /following the Redis history/ });
    cleanups.push(() => tail.stop('SIGKILL'));
    const hint = await waitFor('the dead line', () => /resend with: etsyhook (replay .*)$/m.exec(tail.stdout())?.[1], 10_000);
    expect(hint).toBe(`replay ${id} --queue ${r.url}`);
    // dev --queue's own line says the same.
    expect(dev.stderr()).toContain(`resend with: etsyhook replay ${id} --queue ${r.url}`);
    const replayed = await runCli(hint.split(' '), { env: home.env });
    expect(replayed.stderr).toMatch(/replayed 1 event/);
    expect(app.requests).toHaveLength(2);
  });

  it('tail --last N --queue: the last N matching records of the Redis history, then what comes next', async ({ cleanups, home, dev: startDev }) => {
    const r = await redis(cleanups);
    const app = await recorder(cleanups);
    const dev = await startDev(['--queue', r.url, '--forward-to', app.url, '--no-inspect']);
    const ids: string[] = [];
    // One at a time, each delivered (and its attempt recorded) before the next arrives: the history's order is known.
    for (const type of ['order.paid', 'listing.updated', 'order.paid', 'listing.updated']) {
      ids.push((await post(dev.url, signed({ type }))).json().id as string);
      await waitFor('its attempt recorded', async () => (await runCli(['events', 'show', ids.at(-1)!, '--queue', r.url, '--json'], { env: home.env })).stdout.includes('"delivered"'), 10_000);
    }
    const tail = await startCli(['tail', '--queue', r.url, '--last', '2', '--type', 'order.*', '--json'], { env: home.env, ready: /following the Redis history/ });
    cleanups.push(() => tail.stop('SIGKILL'));
    const lines = (): Record<string, unknown>[] => tail.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor('two lines', () => lines().length === 2, 10_000);
    // The newest order.* request and its attempt (recorded after it), oldest first.
    expect(lines().map((l) => [l.kind, l.id])).toEqual([['received', ids[2]], ['delivery', ids[2]]]);
    const next = (await post(dev.url, signed({ type: 'order.shipped' }))).json().id as string;
    await waitFor('the next request', () => lines().some((l) => l.id === next), 10_000);
  });

  it('dev --host 0.0.0.0 says it listens on every interface; the loopback default says nothing more', async ({ dev: startDev }) => {
    const open = await startDev(['--host', '0.0.0.0', '--no-inspect']);
    expect(open.stderr()).toMatch(/Local +http:\/\/127\.0\.0\.1:\d+\/webhook +\(listening on every interface, 0\.0\.0\.0: other machines can reach it\)/);
    const local = await startDev(['--no-inspect']);
    expect(local.stderr()).toMatch(/Local +http:\/\/127\.0\.0\.1:\d+\/webhook\n/);
  });

  it('dev --inspect-port N with N taken says the inspector moved, as inspect does', async ({ cleanups, dev: startDev }) => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => taken.close(() => r())));
    const port = (taken.address() as { port: number }).port;
    const dev = await startDev(['--inspect-port', String(port)]);
    const m = new RegExp(`Inspect +http://127\\.0\\.0\\.1:(\\d+)/ +\\(port ${port} was taken\\)`).exec(dev.stderr());
    expect(m, dev.stderr()).not.toBeNull();
    expect(Number(m![1])).not.toBe(port);
  });

  it('dev over a store with garbage in the middle says what it knows: torn by a crash, or corruption; where', async ({ home, dev: startDev }) => {
    await writeStore(home.dir, [received({ minutesAgo: 2 })]);
    const at = statSync(logFile(home.dir)).size;
    appendFileSync(logFile(home.dir), `{"kind":"received","id":"evt_garbage"}\tdeadbeef\n${formatRecord(received({ minutesAgo: 1 }))}`);
    const dev = await startDev(['--no-inspect']);
    expect(dev.stderr()).toContain(`skipped 1 unreadable record at byte ${at} of ${logFile(home.dir)}: a write torn by a crash, or corruption`);
    expect(dev.stderr()).not.toMatch(/nothing acknowledged was lost/);
  });

  it('a delivery re-sent after a crash counts the attempt that may have reached the app (x-etsyhook-attempt)', async ({ cleanups, dev: startDev }) => {
    let hang = true;
    const app = await recorder(cleanups, { hang: () => hang });
    const first = await startDev(['--forward-to', app.url, '--no-inspect']);
    await post(first.url, signed());
    await waitFor('the attempt in flight', () => app.requests.length === 1, 10_000);
    expect(app.requests[0]!.headers['x-etsyhook-attempt']).toBe('1');
    await first.stop('SIGKILL'); // before the app answered: the attempt was never recorded
    expect(first.store().deliveries).toEqual([]);
    hang = false;
    const second = await startDev(['--forward-to', app.url, '--no-inspect']);
    await waitFor('the redelivery', () => app.requests.length === 2, 10_000);
    expect(app.requests[1]!.headers['x-etsyhook-attempt']).toBe('2');
    await waitFor('its record', () => second.store().deliveries.some((d) => d.status === 'delivered'), 5_000);
    expect(second.store().deliveries.map((d) => [d.attempt, d.status])).toEqual([[2, 'delivered']]);
  });

  it('after a clean stop, nothing is counted that did not happen', async ({ cleanups, dev: startDev }) => {
    const app = await recorder(cleanups, { status: 500 });
    const first = await startDev(['--forward-to', app.url, '--retry-schedule', '0,10m', '--no-inspect']);
    await post(first.url, signed());
    await waitFor('the failed attempt', () => first.store().deliveries.length === 1, 10_000);
    expect(await first.stop('SIGTERM')).toBe(0);
    const up = await recorder(cleanups);
    const second = await startDev(['--forward-to', up.url, '--no-inspect']);
    await waitFor('the resumed delivery', () => up.requests.length === 1, 10_000);
    expect(up.requests[0]!.headers['x-etsyhook-attempt']).toBe('2');
    expect(second.stderr()).toMatch(/resuming 1 pending delivery/);
  });
});
