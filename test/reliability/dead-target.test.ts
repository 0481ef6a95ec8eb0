// Reliability 2: the forward target refuses connections for a while, then answers 500, then hangs (accepts and does
// not answer), then returns. Acknowledgements never stall, and every accepted event ends delivered or dead: none lost, none delivered
// twice (counted per webhook-id at the target).
import { Agent } from 'node:http';
import { describe, expect } from 'vitest';
import {
  recorder, generateSecret, it, listEvents, orderBody, percentile, recordFigure, send, signHeaders, sleep, waitFor,
} from '../support/index.js';

const CONCURRENCY = 8;

describe('dead forward target', () => {
  it('refused, then 500, then hanging, then back: acks stay fast; every event delivered once or dead', async ({ cleanups, home, dev: startDev }) => {
    const h = home.dir;
    const secret = generateSecret();
    const target = await recorder(cleanups, { mode: 'refuse' });
    const dev = await startDev(['--forward-to', target.url], { secret });
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const latencies: Record<string, number[]> = { refuse: [], error: [], hang: [], ok: [] };
    const accepted = new Set<string>();
    const bad: string[] = [];

    const load = async (phase: 'refuse' | 'error' | 'hang' | 'ok', ms: number): Promise<void> => {
      const until = Date.now() + ms;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (Date.now() < until) {
            const body = orderBody();
            const headers = signHeaders(secret, body);
            const r = await send(dev.url, { body, headers, agent });
            latencies[phase]!.push(r.ms);
            if (r.status === 200) accepted.add(headers['webhook-id']!);
            else bad.push(`${phase}: ${r.status} ${r.body.slice(0, 80)}`);
            await sleep(5); // pacing: a steady load, not a wait for an outcome
          }
        }),
      );
    };

    await load('refuse', 3000);
    await target.setMode('error');
    await load('error', 1500);
    await target.setMode('hang');
    await load('hang', 2500);
    await target.setMode('ok'); // answers what it held, and everything from now on
    await load('ok', 1500);
    agent.destroy();
    expect(bad).toEqual([]);

    // Every accepted event ends delivered or dead.
    const settled = await waitFor(
      'every accepted event delivered or dead',
      async () => {
        const listed = await listEvents(h);
        const mine = listed.filter((e) => e.webhookId && accepted.has(e.webhookId));
        if (mine.length !== accepted.size) return undefined;
        return mine.every((e) => e.status === 'delivered' || e.status === 'dead') ? mine : undefined;
      },
      120_000,
      1000,
    );
    await dev.stop();

    const delivered = settled.filter((e) => e.status === 'delivered');
    const dead = settled.filter((e) => e.status === 'dead');
    expect(delivered.length, 'some events delivered once the target was back').toBeGreaterThan(0);
    expect(delivered.length + dead.length).toBe(accepted.size); // none lost
    expect(target.duplicates(), 'delivered twice').toEqual([]);
    for (const e of delivered) expect(target.delivered.get(e.webhookId!), `delivered ${e.webhookId} never reached the target`).toBe(1);
    for (const e of dead) expect(target.delivered.get(e.webhookId!) ?? 0, `dead ${e.webhookId} reached the target`).toBe(0);
    // The target got nothing it was not sent.
    for (const wid of target.delivered.keys()) expect(accepted.has(wid)).toBe(true);

    const all = Object.values(latencies).flat();
    const p99 = (xs: number[]): number => Math.round(percentile(xs, 99) * 10) / 10;
    // Acknowledgements never wait for the target: the same few milliseconds whether it is refusing, hanging or fine.
    expect(p99(all)).toBeLessThan(250);
    expect(Math.max(...all)).toBeLessThan(2000);
    recordFigure(
      '2. dead target (refuse 3 s, 500 for 1.5 s, hang 2.5 s, back)',
      `${accepted.size} events accepted: ${delivered.length} delivered once, ${dead.length} dead, 0 lost, 0 delivered twice; ack p99 ${p99(latencies.refuse!)} ms while refused, ${p99(latencies.error!)} ms while answering 500, ${p99(latencies.hang!)} ms while hanging, ${p99(latencies.ok!)} ms when back (max ${Math.round(Math.max(...all))} ms)`,
    );
  });
});
