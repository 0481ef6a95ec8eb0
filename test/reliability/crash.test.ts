// Reliability 1: SIGKILL the receiver in the middle of a load, three rounds. After each restart every event that got
// a 2xx is in `events list --json`, the store reads without error, and delivery of the events still pending resumes:
// by the end the forward target has received every acknowledged event.
import { Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  Target, freePort, generateSecret, home, listEvents, orderBody, readStore, recordFigure, send, signed, sleep, startDev, waitFor,
} from './harness.js';

const ROUNDS = 3;
const WORKERS = 16;

describe('crash: SIGKILL mid-load', () => {
  it.each([
    ['up', 'the forward target up throughout'],
    ['down', 'the forward target refusing until the last restart, so every delivery is still pending at each kill'],
  ] as const)(`${ROUNDS} rounds, target %s: every acknowledged event survives, the store reads, delivery resumes (%s)`, async (targetState) => {
    const h = home();
    const secret = generateSecret();
    const target = await Target.start(targetState === 'up' ? 'ok' : 'refuse');
    // Enough attempts that no event goes dead while the target is down across the rounds.
    const devArgs = ['--forward-to', target.url, '--max-attempts', '50'];
    const port = await freePort();
    /** webhook-id → the store id the receiver answered with (when it did). */
    const acked = new Map<string, string | undefined>();
    const unexpected: string[] = [];
    let inFlightLost = 0;
    let tornLines = 0;

    const checkStore = async (when: string): Promise<void> => {
      const listed = await listEvents(h); // exits 0: the store reads without error
      const byWebhookId = new Map(listed.map((e) => [e.webhookId, e]));
      const storeIds = new Set(listed.map((e) => e.id));
      const missing = [...acked].filter(([wid, sid]) => !byWebhookId.has(wid) || (sid !== undefined && !storeIds.has(sid)));
      expect(missing, `${when}: acknowledged events missing from events list`).toEqual([]);
      for (const [wid] of acked) expect(byWebhookId.get(wid)!.status, `${when}: ${wid}`).toBe('accepted');
      const { bad } = readStore(h);
      tornLines = bad;
    };

    for (let round = 1; round <= ROUNDS; round++) {
      const dev = await startDev(h, { secret, port, args: devArgs });
      if (round > 1) await checkStore(`after restart ${round - 1}`);
      const agent = new Agent({ keepAlive: true, maxSockets: WORKERS });
      const before = acked.size;
      let killed = false;
      const workers = Array.from({ length: WORKERS }, async () => {
        while (!killed) {
          const body = orderBody();
          const headers = signed(secret, body);
          try {
            const r = await send(dev.url, { body, headers, agent, timeoutMs: 10_000 });
            if (r.status >= 200 && r.status < 300) {
              const id = (r.json as { id?: string } | undefined)?.id;
              acked.set(headers['webhook-id']!, id);
            } else unexpected.push(`${r.status} ${r.text.slice(0, 100)}`);
          } catch {
            if (killed) inFlightLost++;
            else await sleep(10);
          }
        }
      });
      // Let a few hundred events through, then kill at a random moment while requests are in flight.
      const goal = 150 + Math.floor(Math.random() * 450);
      await waitFor('acknowledgements', () => acked.size - before >= goal, 30_000, 5);
      await sleep(Math.floor(Math.random() * 150));
      killed = true;
      dev.child.kill('SIGKILL');
      await dev.stop();
      await Promise.all(workers);
      agent.destroy();
      expect(unexpected, 'non-2xx answers under load').toEqual([]);
    }

    // The last restart: everything acknowledged is there, and delivery of what was pending resumes.
    if (targetState === 'down') {
      expect(target.received.size, 'nothing reached a refusing target').toBe(0);
      await target.setMode('ok');
    }
    const dev = await startDev(h, { secret, port, args: devArgs });
    await checkStore(`after restart ${ROUNDS}`);
    await waitFor(
      'every acknowledged event at the forward target',
      () => [...acked.keys()].every((wid) => (target.received.get(wid) ?? 0) > 0),
      60_000,
      200,
    );
    const redelivered = target.duplicates().length;
    await dev.stop();
    expect(tornLines).toBeLessThanOrEqual(ROUNDS);
    recordFigure(
      `1. crash (SIGKILL mid-load), target ${targetState}`,
      `${ROUNDS} rounds, ${acked.size} events acknowledged, 0 lost, all delivered after restart; ${inFlightLost} requests in flight at the kills (unacknowledged); ${redelivered} delivered twice (at-least-once across a kill); ${tornLines} unreadable lines`,
    );
  });
});
