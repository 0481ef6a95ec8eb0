// The promise behind a 200: SIGKILL the receiver during a burst, and every event it acknowledged is listed after.
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { signatureHeaders } from '../src/core/signature.js';
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

    const acked = new Set<string>();
    let sent = 0;
    let stop = false;
    const sender = async (): Promise<void> => {
      while (!stop) {
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
          stop = true; // the receiver is gone
        }
      }
    };
    const senders = Array.from({ length: 16 }, sender);
    const deadline = Date.now() + 10_000;
    while (acked.size < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    dev.child.kill('SIGKILL');
    await Promise.all(senders);
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
