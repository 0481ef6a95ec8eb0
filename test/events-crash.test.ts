// The promise behind a 200: whatever happens to the receiver or the log (SIGKILL mid-burst, `events clear` while it
// writes), every event it acknowledged is listed after.
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { signatureHeaders } from '../src/core/receive/signature.js';
import { cleanEnv, freePort, runCli, startCli, tempHome } from './helpers.js';
import { SECRET } from './event-fixtures.js';

const cleanups: (() => void | Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a receiver killed mid-burst', () => {
  it('keeps every event it answered 200: events list --json holds each one', async () => {
    const h = tempHome();
    cleanups.push(h.cleanup);
    const env = cleanEnv(h.dir);
    const port = await freePort();
    const dev = await startCli(['dev', '--no-tunnel', '--port', String(port), '--secret', SECRET], { env, ready: /Ready: listening/ });
    cleanups.push(() => dev.stop('SIGKILL'));
    const agent = new Agent({ connections: 16 });
    cleanups.push(() => agent.destroy());

    const load = sendLoad(port, agent, 16);
    await load.until(300);
    dev.child.kill('SIGKILL');
    await load.done();
    const acked = load.acked;
    expect(acked.size).toBeGreaterThanOrEqual(300);

    const r = await runCli(['events', 'list', '--json', '--limit', '1000000'], { env });
    expect(r.code).toBe(0);
    const stored = new Set((JSON.parse(r.stdout) as { id: string; status: string }[]).map((e) => e.id));
    const missing = [...acked].filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    // A torn last write is allowed (and said); nothing else on stderr.
    expect(r.stderr.replace(/warning: skipped .*\n/, '')).toBe('');
  });
});

describe('events clear while a receiver writes', () => {
  it('loses nothing acknowledged: the receiver follows the rewritten log', async () => {
    const h = tempHome();
    cleanups.push(h.cleanup);
    const env = cleanEnv(h.dir);
    const port = await freePort();
    const dev = await startCli(['dev', '--no-tunnel', '--port', String(port), '--secret', SECRET], { env, ready: /Ready: listening/ });
    cleanups.push(() => dev.stop('SIGKILL'));
    const agent = new Agent({ connections: 8 });
    cleanups.push(() => agent.destroy());
    const load = sendLoad(port, agent, 8);
    await load.until(200);
    const cleared = await runCli(['events', 'clear', '--older-than', '1h', '--yes'], { env });
    expect(cleared.code).toBe(0);
    const atClear = load.acked.size;
    await load.until(atClear + 200);
    load.stop();
    await load.done();
    const r = await runCli(['events', 'list', '--json', '--limit', '1000000'], { env });
    expect(r.code).toBe(0);
    const stored = new Set((JSON.parse(r.stdout) as { id: string }[]).map((e) => e.id));
    expect([...load.acked].filter((id) => !stored.has(id))).toEqual([]);
    expect(await dev.stop('SIGINT')).toBe(0);
  });
});

/** Distinct signed events from `connections` senders until stopped or the receiver is gone; ids answered 200. */
function sendLoad(port: number, agent: Agent, connections: number) {
  const acked = new Set<string>();
  let sent = 0;
  let stopped = false;
  const sender = async (): Promise<void> => {
    while (!stopped) {
      const n = sent++;
      const body = JSON.stringify({ event_type: 'order.paid', resource_url: `https://api.etsy.com/v3/application/shops/123/receipts/${n}`, shop_id: 123 });
      try {
        const res = await request(`http://127.0.0.1:${port}/webhook`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', ...signatureHeaders('standard', SECRET, body) },
          body,
        });
        const text = await res.body.text();
        if (res.statusCode === 200) acked.add((JSON.parse(text) as { id: string }).id);
      } catch {
        stopped = true; // the receiver is gone
      }
    }
  };
  const senders = Array.from({ length: connections }, sender);
  return {
    acked,
    stop: () => {
      stopped = true;
    },
    until: async (n: number): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (acked.size < n && !stopped && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(acked.size).toBeGreaterThanOrEqual(n);
    },
    done: () => Promise.all(senders),
  };
}
