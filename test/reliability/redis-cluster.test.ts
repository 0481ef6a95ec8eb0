// Reliability: serve and worker on a three-node Redis Cluster, each pointed at a node that does not own the
// {etsyhook} slot, while that slot is moved to another node under load (SETSLOT IMPORTING/MIGRATING, MIGRATE of its
// keys two at a time, SETSLOT NODE on every node). Answers during the move may be 503 (Etsy retries them, and so
// does this test's sender); every event answered 2xx is delivered by the worker and listed.
import { describe, expect } from 'vitest';
import { redisCluster, servePort } from '../support/redis.js';
import { recorder, cleanEnv, generateSecret, it, orderBody, recordFigure, runCli, send, signHeaders, startCli, uniqueId, waitFor } from '../support/index.js';

const EVENTS = 200;
const CLIENTS = 4;
/** Between one client's sends: 200 events over about 1.5 s, so the move lands mid-load. */
const PACE_MS = 25;

describe('serve + worker on a Redis Cluster: the {etsyhook} slot moves mid-load', () => {
  it('moves slot 5045 to another node under load: 503s only around the move, every acknowledged event delivered', async ({ cleanups, home }) => {
    const t0 = Date.now();
    const cl = await redisCluster(cleanups);
    const env = cleanEnv(home.dir);
    const secret = generateSecret();
    const target = await recorder(cleanups);
    const from = await cl.owner();
    // Neither names the owner: serve one node, the worker the other.
    const [serveAt, workerAt] = cl.nodes.filter((n) => n !== from);
    const s = await startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--secret', secret, '--queue', serveAt!.url], {
      env,
      ready: /serve: listening/,
    });
    cleanups.push(() => s.stop('SIGKILL'));
    const url = `http://127.0.0.1:${servePort(s.stderr())}/webhook`;
    const w = await startCli(
      ['worker', '--queue', workerAt!.url, '--forward-to', target.url, '--claim-after', '2s', '--concurrency', '8', '--retry-schedule', '0,200ms,500ms,1s'],
      { env, ready: /delivering from Redis/ },
    );
    cleanups.push(() => w.stop('SIGKILL'));

    const acked = new Set<string>();
    const answers: { status: number; at: number }[] = [];
    let next = 0;
    const client = async (): Promise<void> => {
      while (next < EVENTS) {
        next++;
        const id = uniqueId('msg_cl');
        const body = orderBody();
        // As Etsy does: the same delivery again after a 503 (or no answer), until it is acknowledged.
        for (let tries = 0; tries < 100; tries++) {
          const answer = await send(url, { body, headers: signHeaders(secret, body, { id }) }).catch(() => undefined);
          if (answer !== undefined) answers.push({ status: answer.status, at: Date.now() });
          if (answer !== undefined && answer.status >= 200 && answer.status < 300) {
            acked.add(id);
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, PACE_MS));
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, () => client()));

    await waitFor('50 acknowledged before the move', () => acked.size >= 50, 20_000, 5);
    const moved = await cl.moveSlot({ batch: 2 });
    const ackedAtMoveEnd = acked.size;
    const { migratingAt: moveStart, doneAt: moveEnd } = moved;
    await load;
    expect((await cl.owner()).id).toBe(moved.to.id);
    expect(moved.to.id).not.toBe(from.id);

    expect(acked.size).toBe(EVENTS);
    expect(ackedAtMoveEnd, 'some events acknowledged after the move, by the new owner').toBeLessThan(EVENTS);
    const unexpected = answers.filter((a) => a.status !== 503 && (a.status < 200 || a.status >= 300));
    expect(unexpected, 'answers other than 2xx and 503').toEqual([]);
    const inMove = answers.filter((a) => a.at >= moveStart && a.at <= moveEnd);
    expect(inMove.length, 'requests answered while the slot moved').toBeGreaterThan(0);
    const during = inMove.filter((a) => a.status === 503).length;
    const outside = answers.filter((a) => a.status === 503 && (a.at < moveStart || a.at > moveEnd));
    // The cluster client follows the MOVED that comes after the move by itself: at most the requests in flight as
    // the slot changed hands are told 503.
    expect(outside.length, '503s outside the move').toBeLessThanOrEqual(CLIENTS);

    await waitFor('every acknowledged event delivered', () => [...acked].every((id) => target.delivered.has(id)), 30_000, 50);
    const seconds = (Date.now() - t0) / 1000;
    const listed = await runCli(['events', 'list', '--json', '--limit', '1000', '--queue', cl.nodes.find((n) => n.id !== moved.to.id)!.url], { env, timeoutMs: 20_000 });
    expect(listed.code, listed.stderr).toBe(0);
    const accepted = new Set((JSON.parse(listed.stdout) as { webhookId: string; verdict: string }[]).filter((e) => e.verdict === 'accepted').map((e) => e.webhookId));
    expect([...acked].filter((id) => !accepted.has(id)), 'acknowledged but not listed').toEqual([]);
    const twice = target.duplicates().length;
    expect(seconds).toBeLessThan(60);
    recordFigure(
      '7. Redis Cluster slot move under load',
      `${EVENTS} events sent (a 503 re-sent, as Etsy does), ${acked.size} acknowledged; ${inMove.length} requests answered during the move ` +
        `(${moveEnd - moveStart} ms, ${moved.keys} keys migrated), ${during} of them 503${outside.length > 0 ? ` (${outside.length} more just after it)` : ''}; ` +
        `${[...acked].filter((id) => target.delivered.has(id)).length} delivered by the worker (${twice} twice); ${seconds.toFixed(1)} s`,
    );
  });
});
