// The receive script's reply deadline (ReplyDeadlines, one timer per connection instead of node-redis's per-command
// rejectInFlight): a Redis that does not answer fails the write after the timeout (serve then answers 503), the
// late reply is dropped without shifting the replies of later commands, and a script flushed from Redis is loaded
// again. A real redis-server, paused with its own CLIENT PAUSE.
import { describe, expect } from 'vitest';
import { connect, parseQueueUrl, ReplyDeadlines, ReplyTimeoutError } from '../src/core/queue/connection.js';
import { DEFAULT_RETENTION } from '../src/core/defaults.js';
import { RedisSink } from '../src/core/queue/sink.js';
import type { ReceivedRecord } from '../src/core/log/records.js';
import { StoreUnavailableError } from '../src/errors.js';
import { it, type Cleanup } from './support/index.js';
import { redis, redisClient } from './support/redis.js';

let n = 0;
function accepted(webhookId = `msg_deadline_${process.pid}_${++n}`): ReceivedRecord {
  return { kind: 'received', id: `evt_deadline${++n}`, at: new Date().toISOString(), method: 'POST', path: '/webhook', headers: { 'webhook-id': webhookId }, status: 'accepted', body: '{"event_type":"order.paid"}', type: 'order.paid', webhookId, httpStatus: 200 };
}

async function setup(cleanups: Cleanup[], timeoutMs: number) {
  const r = await redis(cleanups);
  const target = parseQueueUrl(r.url);
  const client = await connect(target);
  const sink = new RedisSink(client, target, { retention: DEFAULT_RETENTION, timeoutMs });
  cleanups.push(() => sink.close());
  const admin = await redisClient(r.url);
  cleanups.push(admin.close);
  return { sink, client, admin };
}

describe('the receive reply deadline', () => {
  it('fails a write Redis does not answer in time, then drops its late reply: later writes get their own answers', async ({ cleanups }) => {
    const { sink, admin } = await setup(cleanups, 300);
    const first = accepted();
    expect(await sink.receive(structuredClone(first))).toBe('accepted');
    // Redis holds every command (this client's too) for 1.5 s: the write fails after the 300 ms deadline, not when
    // the pause ends.
    await admin.send(['CLIENT', 'PAUSE', '1500', 'ALL']);
    const t0 = performance.now();
    const err = await sink.receive(structuredClone(first)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const waited = performance.now() - t0;
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/timed out/);
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(1_400);
    expect(sink.health()).toMatchObject({ ok: true }); // the connection is up: only that write failed
    await admin.send(['PING']); // answered when the pause ends
    // The timed-out write (a duplicate of the first) is answered late, when the pause ends, with 'duplicate': that reply must not be taken
    // for the next write's, a new webhook-id that is 'accepted'.
    const second = accepted();
    expect(await sink.receive(structuredClone(second))).toBe('accepted');
    expect(await sink.receive(structuredClone(second))).toBe('duplicate');
  });

  it('loads the script again after Redis lost it (NOSCRIPT), under the same deadline', async ({ cleanups }) => {
    const { sink, admin } = await setup(cleanups, 5_000);
    expect(await sink.receive(accepted())).toBe('accepted');
    await admin.send(['SCRIPT', 'FLUSH']);
    const recs = [accepted(), accepted(), accepted()];
    // Several at once: the first replies are NOSCRIPT errors, the retries settle after the writes queued behind them.
    expect(await Promise.all(recs.map((r) => sink.receive(structuredClone(r))))).toEqual(['accepted', 'accepted', 'accepted']);
    expect(await Promise.all(recs.map((r) => sink.receive(structuredClone(r))))).toEqual(['duplicate', 'duplicate', 'duplicate']);
  });

  it('expires each command at its own deadline, and arms its timer again for a command sent after the queue emptied', async ({ cleanups }) => {
    const { client, admin } = await setup(cleanups, 5_000);
    const deadlines = new ReplyDeadlines(200);
    await admin.send(['CLIENT', 'PAUSE', '1500', 'ALL']);
    const failed = async (args: string[]): Promise<{ e: unknown; ms: number }> => {
      const t0 = performance.now();
      return deadlines.command(client, args).then(
        () => ({ e: undefined, ms: performance.now() - t0 }),
        (e: unknown) => ({ e, ms: performance.now() - t0 }),
      );
    };
    const [a, b] = await Promise.all([failed(['PING', 'a']), failed(['PING', 'b'])]);
    // Sent once the first two have expired: its own 200 ms from now, not at once.
    const c = await failed(['PING', 'c']);
    for (const x of [a, b, c]) {
      expect(x.e).toBeInstanceOf(ReplyTimeoutError);
      expect(x.ms).toBeGreaterThanOrEqual(195);
      expect(x.ms).toBeLessThan(1_000);
    }
    await admin.send(['PING']); // answered when the pause ends
    // The three late PONGs are dropped in order; this one gets its own.
    expect(await deadlines.command(client, ['PING', 'd'])).toBe('d');
  });
});
