// Reliability: two `serve` and two `worker` processes on one redis-server, under load. One worker is SIGKILLed, then
// Redis itself is SIGKILLed mid-load and restarted. Every event answered 2xx is listed and delivered; duplicates at
// the app come only from the kills; while Redis is down every answer is 503, never 2xx.
import { describe, expect } from 'vitest';
import { servePort, startRedis } from '../support/redis.js';
import { recorder, cleanEnv, generateSecret, it, orderBody, recordFigure, runCli, send, signHeaders, startCli, uniqueId, waitFor } from '../support/index.js';

const CLIENTS = 12;
const WORKER_CONCURRENCY = 8;

describe('serve + worker on Redis: kills under load', () => {
  it('two receivers, two workers; SIGKILL a worker, SIGKILL Redis and restart it: nothing acknowledged is lost', async ({ cleanups, home }) => {
    const redis = await startRedis();
    cleanups.push(redis.cleanup);
    const env = cleanEnv(home.dir);
    const secret = generateSecret();
    const target = await recorder(cleanups);
    const serves = await Promise.all(
      [0, 1].map(async () => {
        const proc = await startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--secret', secret, '--queue', redis.url], { env, ready: /serve: listening/ });
        cleanups.push(() => proc.stop('SIGKILL'));
        const port = servePort(proc.stderr());
        return { proc, url: `http://127.0.0.1:${port}/webhook`, base: `http://127.0.0.1:${port}` };
      }),
    );
    const startWorker = async () => {
      const proc = await startCli(
        ['worker', '--queue', redis.url, '--forward-to', target.url, '--claim-after', '1s', '--concurrency', String(WORKER_CONCURRENCY), '--retry-schedule', '0,200ms,500ms,1s,2s,5s'],
        { env, ready: /delivering from Redis/ },
      );
      cleanups.push(() => proc.stop('SIGKILL'));
      return proc;
    };
    const workers = [await startWorker(), await startWorker()];

    const acked = new Set<string>();
    const answeredWhileDown: number[] = [];
    let redisDown = false;
    let stop = false;
    let sent = 0;
    let retriedElsewhere = 0;
    const client = async (n: number): Promise<void> => {
      while (!stop) {
        const id = uniqueId(`msg_q${n}`);
        const body = orderBody();
        const headers = signHeaders(secret, body, { id });
        const first = serves[sent++ % 2]!;
        const downAtStart = redisDown;
        const answer = await send(first.url, { body, headers }).catch(() => undefined);
        if (answer === undefined) continue;
        if (downAtStart && redisDown) answeredWhileDown.push(answer.status);
        if (answer.status !== 200) continue;
        acked.add(id);
        // Etsy retrying the same delivery onto the other instance: a duplicate, never dispatched twice.
        if (sent % 5 === 0) {
          const other = serves[sent % 2]!;
          const again = await send(other.url, { body, headers }).catch(() => undefined);
          if (again?.status === 200) retriedElsewhere++;
        }
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));

    await waitFor('300 acknowledged', () => acked.size >= 300, 60_000);
    await workers[0]!.stop('SIGKILL');
    await waitFor('600 acknowledged', () => acked.size >= 600, 60_000);
    await redis.kill('SIGKILL');
    redisDown = true;
    await waitFor('answers while Redis is down', () => answeredWhileDown.length >= 50, 30_000, 20);
    redisDown = false;
    await redis.restart();
    for (const s of serves) await waitFor('/ready again', async () => (await send(`${s.base}/ready`, { method: 'GET' }).catch(() => undefined))?.status === 200, 30_000);
    const before = acked.size;
    await waitFor('200 more acknowledged after the restart', () => acked.size >= before + 200, 60_000);
    stop = true;
    await load;

    expect(answeredWhileDown.filter((s) => s >= 200 && s < 300), 'a 2xx while Redis was down').toEqual([]);
    expect(answeredWhileDown.every((s) => s === 503)).toBe(true);
    await waitFor('every acknowledged event delivered', () => [...acked].every((id) => target.delivered.has(id)), 90_000, 200);

    const listed = await runCli(['events', 'list', '--json', '--limit', '10000000', '--queue', redis.url], { env, timeoutMs: 60_000 });
    expect(listed.code, listed.stderr).toBe(0);
    const events = JSON.parse(listed.stdout) as { webhookId: string | null; verdict: string; status: string }[];
    const acceptedIds = new Set(events.filter((e) => e.verdict === 'accepted').map((e) => e.webhookId));
    expect([...acked].filter((id) => !acceptedIds.has(id)), 'acknowledged but not listed').toEqual([]);
    // Accepted once each, whichever receiver took it first.
    expect(events.filter((e) => e.verdict === 'accepted').length).toBe(acceptedIds.size);
    const dups = target.duplicates();
    // Only what the killed worker had in flight (and had delivered without settling) may arrive twice.
    expect(dups.length).toBeLessThanOrEqual(WORKER_CONCURRENCY);
    recordFigure(
      'redis-queue',
      `${acked.size} acknowledged (${retriedElsewhere} also retried onto the other receiver), all listed and delivered; ` +
        `${answeredWhileDown.length} answers while Redis was down, all 503; ${dups.length} delivered twice after the worker kill`,
    );
  });
});
