// SIGKILL in the middle of a burst: every id that got a 200 is in the log (read with readForward), and deliveries
// the dead receiver still owed are made after the restart.
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { home, readRecords, signed, startDev, waitFor, type Cleanup } from './dev-harness.js';
import { createServer } from 'node:http';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function burst(url: string, connections: number): { acked: Set<string>; until: (n: number) => Promise<void>; done: () => Promise<void> } {
  const agent = new Agent({ connections });
  cleanups.push(() => agent.destroy());
  const acked = new Set<string>();
  let stopped = false;
  const waiters: { n: number; resolve: () => void }[] = [];
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const ev = signed();
      try {
        const res = await request(url, { method: 'POST', headers: ev.headers, body: ev.body, dispatcher: agent });
        const text = await res.body.text();
        if (res.statusCode === 200) acked.add((JSON.parse(text) as { id: string }).id);
        for (const w of waiters.filter((x) => acked.size >= x.n)) w.resolve();
      } catch {
        stopped = true; // the receiver is gone
      }
    }
  };
  const workers = Array.from({ length: connections }, worker);
  return {
    acked,
    until: (n) => new Promise<void>((resolve) => (acked.size >= n ? resolve() : waiters.push({ n, resolve }))),
    done: async () => {
      await Promise.all(workers);
    },
  };
}

describe('dev killed mid-burst', () => {
  it('keeps every acknowledged event, and delivers what it owed after the restart', async () => {
    const h = home(cleanups);
    const got = new Set<string>();
    const app = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        got.add(String(req.headers['webhook-id']));
        setTimeout(() => res.end('ok'), 20);
      });
    });
    // Slow enough that deliveries are still owed when the receiver dies.
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => {
      app.closeAllConnections();
      app.close(() => r());
    }));
    const port = (app.address() as { port: number }).port;
    const target = `http://127.0.0.1:${port}/hooks`;
    let dev = await startDev(cleanups, ['--forward-to', target], { home: h });
    const load = burst(dev.url, 16);
    await load.until(400);
    dev.proc.child.kill('SIGKILL');
    await load.done();
    expect(load.acked.size).toBeGreaterThanOrEqual(400);

    const records = readRecords(h.dir);
    const stored = new Set(records.filter((r) => r.kind === 'received' && r.status === 'accepted').map((r) => r.id));
    expect([...load.acked].filter((id) => !stored.has(id))).toEqual([]);

    // Restart: whatever was accepted but not yet delivered is delivered now; every accepted event ends delivered.
    dev = await startDev(cleanups, ['--forward-to', target], { home: h });
    expect(dev.proc.stderr()).toMatch(/resuming \d+ pending deliver/);
    await waitFor(
      () => {
        const recs = readRecords(h.dir);
        const delivered = new Set(recs.filter((r) => r.kind === 'delivery' && r.status === 'delivered').map((r) => r.id));
        return [...stored].every((id) => delivered.has(id));
      },
      20_000,
      'every accepted event delivered',
    );
    const acceptedWebhookIds = records.filter((r) => r.kind === 'received' && r.status === 'accepted').map((r) => (r as { webhookId?: string }).webhookId);
    expect(acceptedWebhookIds.every((id) => got.has(String(id)))).toBe(true);
    expect(await dev.proc.stop('SIGINT')).toBe(0);
  });
});
