// The promise behind a 200 when the log is rewritten under a running receiver: `events clear` while it writes loses
// nothing acknowledged. (A receiver killed mid-burst is the reliability suite's crash test.)
import { Agent, request } from 'undici';
import { describe, expect } from 'vitest';
import { it, runCli, signed } from './support/index.js';

describe('events clear while a receiver writes', () => {
  it('loses nothing acknowledged: the receiver follows the rewritten log', async ({ cleanups, home, dev: startDev }) => {
    const dev = await startDev();
    const agent = new Agent({ connections: 8 });
    cleanups.push(() => agent.destroy());
    const load = sendLoad(dev.url, agent, 8);
    await load.until(200);
    const cleared = await runCli(['events', 'clear', '--older-than', '1h', '--yes'], { env: home.env });
    expect(cleared.code).toBe(0);
    await load.until(load.acked.size + 200);
    load.stop();
    await load.done();
    const r = await runCli(['events', 'list', '--json', '--limit', '1000000'], { env: home.env });
    expect(r.code).toBe(0);
    const stored = new Set((JSON.parse(r.stdout) as { id: string }[]).map((e) => e.id));
    expect(load.acked.size).toBeGreaterThanOrEqual(400);
    expect([...load.acked].filter((id) => !stored.has(id))).toEqual([]);
    expect(await dev.stop('SIGINT')).toBe(130);
  });
});

/** Distinct signed events from `connections` senders until stopped; the ids answered 200. `until(n)` resolves once
 *  n are acknowledged (and rejects if the senders stop first). */
function sendLoad(url: string, agent: Agent, connections: number) {
  const acked = new Set<string>();
  let stopped = false;
  let failure: Error | undefined;
  const waiters: { n: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  const settle = (): void => {
    for (const w of [...waiters]) {
      if (acked.size >= w.n) w.resolve();
      else if (failure) w.reject(failure);
      else continue;
      waiters.splice(waiters.indexOf(w), 1);
    }
  };
  const sender = async (): Promise<void> => {
    while (!stopped) {
      const ev = signed();
      try {
        const res = await request(url, { method: 'POST', dispatcher: agent, headers: ev.headers, body: ev.body });
        const text = await res.body.text();
        if (res.statusCode === 200) acked.add((JSON.parse(text) as { id: string }).id);
      } catch (err) {
        stopped = true;
        failure = new Error(`the receiver stopped answering: ${(err as Error).message}`);
      }
      settle();
    }
  };
  const senders = Array.from({ length: connections }, sender);
  return {
    acked,
    stop: () => {
      stopped = true;
    },
    until: (n: number): Promise<void> => new Promise((resolve, reject) => {
      waiters.push({ n, resolve, reject });
      settle();
    }),
    done: () => Promise.all(senders),
  };
}
