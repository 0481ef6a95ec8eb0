import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { bodyBytes } from '../src/core/log/records.js';
import { it, newHome, unusedPort, runCli } from './support/index.js';
import { recorder } from './support/recorder.js';
import { delivery, received, SECRET, writeStore } from './support/fixtures.js';

interface Listed {
  id: string;
  status: string;
  attempts: number;
  deliveries: { httpStatus: number | null; status: string; error: string | null; target: string; attempt: number; replay: boolean }[];
}

async function listed(env: NodeJS.ProcessEnv): Promise<Map<string, Listed>> {
  const r = await runCli(['events', 'list', '--json', '--limit', '1000'], { env });
  expect(r.code).toBe(0);
  return new Map((JSON.parse(r.stdout) as Listed[]).map((e) => [e.id, e]));
}

describe('replay', () => {
  it('is byte-exact by default: the server gets the original body and signature headers; the attempt is recorded', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const server = await recorder(cleanups);
    // Bytes a JSON round trip would change: spacing, a big number, a trailing newline.
    const ev = received({ bytes: Buffer.from('{"event_type":"order.paid",  "shop_id": 12345678901234567890}\n'), minutesAgo: 30 });
    await writeStore(dir, [ev]);
    const r = await runCli(['replay', ev.id.slice(0, 10), '--to', server.url], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/byte-exact/);
    expect(r.stderr).toMatch(/signed more than 5 minutes ago.*--resign/);
    expect(r.stdout).toMatch(new RegExp(`→ 200 \\d+ ms  order\\.paid  ${ev.id}  \\(replay\\)`));
    expect(server.requests).toHaveLength(1);
    const got = server.requests[0]!;
    expect(got.body.equals(bodyBytes(ev))).toBe(true);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'user-agent']) {
      expect(got.headers[name], name).toBe(ev.headers[name]);
    }
    const after = (await listed(env)).get(ev.id)!;
    expect(after.status).toBe('delivered');
    expect(after.deliveries).toEqual([expect.objectContaining({ httpStatus: 200, target: server.url, attempt: 1, replay: true, status: 'delivered' })]);
  });

  it('--json: each attempt carries the answer kept as a stored attempt does: the first 64 KiB and truncated', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const big = 'x'.repeat(100 * 1024);
    const server = await recorder(cleanups, { status: 500, body: (req) => (req.url === '/big' ? big : 'short') });
    const ev = received();
    await writeStore(dir, [ev]);
    type Line = { id: string; response: { body: string; truncated?: boolean; headers: Record<string, string> } };
    const bigReplay = await runCli(['replay', ev.id, '--to', `http://127.0.0.1:${server.port}/big`, '--json'], { env });
    expect(bigReplay.code).toBe(1);
    const line = JSON.parse(bigReplay.stdout.trim()) as Line;
    expect(line.response.body).toBe(big.slice(0, 64 * 1024));
    expect(line.response.truncated).toBe(true);
    expect(line.response.headers['content-type']).toBe('application/json');
    // The stored attempt says the same.
    const shown = JSON.parse((await runCli(['events', 'show', ev.id, '--json'], { env })).stdout) as { deliveries: Pick<Line, 'response'>[] };
    expect(shown.deliveries.map((d) => [d.response.body.length, d.response.truncated])).toEqual([[64 * 1024, true]]);
    // A short answer is kept whole, and not marked.
    const small = JSON.parse((await runCli(['replay', ev.id, '--to', server.url, '--json'], { env })).stdout.trim()) as Line;
    expect(small.response.body).toBe('short');
    expect(small.response.truncated).toBeUndefined();
  });

  it('--resign signs again with a fresh timestamp that standardwebhooks accepts, keeping webhook-id unless --new-id', async ({ cleanups }) => {
    const { dir, env } = newHome(cleanups, { ETSY_WEBHOOK_SECRET: SECRET });
    const server = await recorder(cleanups);
    const ev = received({ minutesAgo: 120 });
    await writeStore(dir, [ev]);
    const wh = new Webhook(SECRET);

    const r = await runCli(['replay', ev.id, '--to', server.url, '--resign', '--json'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/re-signed with a fresh timestamp and the secret from ETSY_WEBHOOK_SECRET \(webhook-id kept\)/);
    const line = JSON.parse(r.stdout.trim()) as { id: string; status: string; ms: number; error: null; resigned: boolean };
    expect(line).toMatchObject({ kind: 'delivery', id: ev.id, status: 'delivered', httpStatus: 200, error: null, resigned: true });
    expect(typeof line.ms).toBe('number');
    const first = server.requests[0]!;
    expect(first.headers['webhook-id']).toBe(ev.webhookId);
    expect(first.headers['webhook-timestamp']).not.toBe(ev.headers['webhook-timestamp']);
    expect(() => wh.verify(first.body, first.headers as Record<string, string>)).not.toThrow();
    // The original, two hours old, is refused by the same library: that is why --resign exists.
    expect(() => wh.verify(bodyBytes(ev), ev.headers)).toThrow();

    const again = await runCli(['replay', ev.id, '--to', server.url, '--resign', '--new-id'], { env });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/a new webhook-id/);
    const second = server.requests[1]!;
    expect(second.headers['webhook-id']).toMatch(/^msg_/);
    expect(second.headers['webhook-id']).not.toBe(ev.webhookId);
    expect(() => wh.verify(second.body, second.headers as Record<string, string>)).not.toThrow();
    expect((await listed(env)).get(ev.id)!.deliveries.map((d) => d.attempt)).toEqual([1, 2]);
  });

  it('--json with nothing to replay prints the empty summary on stdout, never nothing (an empty store, nothing failed)', async ({ home }) => {
    const empty = { kind: 'summary', interrupted: false, planned: 0, count: 0, delivered: 0, duplicates: 0, failed: 0, httpStatuses: {}, reasons: {}, ms: null, elapsedMs: 0 };
    const none = await runCli(['replay', '--failed', '--json'], { env: home.env });
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual(empty);
    const ok = received();
    await writeStore(home.dir, [ok, delivery(ok)]);
    const nothingFailed = await runCli(['replay', '--failed', '--json'], { env: home.env });
    expect(nothingFailed.code).toBe(0);
    expect(nothingFailed.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([empty]);
    expect(nothingFailed.stderr).toMatch(/nothing to replay/);
  });

  it('--resign without a secret is a usage error naming where to put it', async ({ home }) => {
    const { dir, env } = home;
    const ev = received();
    await writeStore(dir, [ev]);
    const r = await runCli(['replay', ev.id, '--resign', '--to', 'http://127.0.0.1:9/'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--secret.*ETSY_WEBHOOK_SECRET/);
  });

  it('to a port that refuses connections: every attempt recorded as failed, a clear summary, exit 1', async ({ home }) => {
    const { dir, env } = home;
    const port = await unusedPort();
    const events = [received({ minutesAgo: 3 }), received({ minutesAgo: 2 }), received({ minutesAgo: 1 })];
    await writeStore(dir, events);
    const r = await runCli(['replay', '--type', 'order.paid', '--to', `http://127.0.0.1:${port}/webhook`], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/0 delivered, 3 failed \(3× connection refused\)/);
    expect(r.stderr).toMatch(/error: 3 of 3 replays failed; nothing is listening at http:\/\/127\.0\.0\.1:\d+\/webhook/);
    const after = await listed(env);
    for (const ev of events) {
      expect(after.get(ev.id)).toMatchObject({ status: 'failed', attempts: 1 });
      expect(after.get(ev.id)!.deliveries[0]).toMatchObject({ httpStatus: null, error: 'connection refused', replay: true, status: 'failed' });
    }
  });

  it('--failed picks events whose last attempt failed or went dead; default target is the recorded forward target', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const server = await recorder(cleanups);
    const delivered = received({ forwardTo: server.url });
    const failed = received({ forwardTo: server.url });
    const dead = received({ forwardTo: server.url });
    const recovered = received({ forwardTo: server.url });
    const rejected = received({ status: 'rejected', reason: 'no matching signature' });
    await writeStore(dir, [
      delivered,
      failed,
      dead,
      recovered,
      rejected,
      delivery(delivered),
      delivery(failed, { status: 'failed', httpStatus: 500 }),
      delivery(dead, { status: 'dead', httpStatus: 500, attempt: 8 }),
      delivery(recovered, { status: 'failed', httpStatus: 500 }),
      delivery(recovered, { attempt: 2 }),
    ]);
    const dry = await runCli(['replay', '--failed', '--dry-run', '--json'], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual([failed.id, dead.id]);
    expect(server.requests).toHaveLength(0);

    const r = await runCli(['replay', '--failed', '--json'], { env });
    expect(r.code).toBe(0);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: number });
    expect(results.map((x) => x.id).sort()).toEqual([failed.id, dead.id].sort());
    expect(server.requests.map((q) => q.headers['webhook-id']).sort()).toEqual([failed.webhookId, dead.webhookId].sort());
    const after = await listed(env);
    expect(after.get(dead.id)!.status).toBe('delivered');
    expect(after.get(dead.id)!.deliveries.at(-1)).toMatchObject({ attempt: 2, replay: true });
    // Nothing failed any more.
    const none = await runCli(['replay', '--failed'], { env });
    expect(none.code).toBe(0);
    expect(none.stderr).toMatch(/nothing to replay/);
  });

  it('sends many events concurrently and records one attempt per event', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const server = await recorder(cleanups, { delayMs: 20 });
    const events = Array.from({ length: 40 }, (_, i) => received({ minutesAgo: 40 - i }));
    await writeStore(dir, events);
    const r = await runCli(['replay', '--since', '1h', '--to', server.url, '--concurrency', '4'], { env });
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(40);
    expect(server.maxInFlight).toBeLessThanOrEqual(4);
    expect(server.maxInFlight).toBeGreaterThan(1);
    // Oldest first.
    expect(r.stdout.trim().split('\n')[0]).toContain(events[0]!.id);
    // One line per event on stdout, none lost to the batched writes.
    expect(r.stdout.trim().split('\n').map((l) => /evt_\w+/.exec(l)?.[0]).sort()).toEqual(events.map((e) => e.id).sort());
    const after = await listed(env);
    expect([...after.values()].every((e) => e.attempts === 1 && e.status === 'delivered')).toBe(true);

    // Without --concurrency: 16 at a time, as dev --forward-to delivers.
    const second = await recorder(cleanups, { delayMs: 20 });
    const json = await runCli(['replay', '--since', '1h', '--to', second.url, '--json'], { env });
    expect(json.code).toBe(0);
    expect(second.requests).toHaveLength(40);
    expect(second.maxInFlight).toBeGreaterThan(8);
    expect(second.maxInFlight).toBeLessThanOrEqual(16);
    expect(json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('delivers everything and says so when the store cannot sync the attempts at the end', async ({ cleanups }) => {
    const preload = pathToFileURL(fileURLToPath(new URL('./preload/datasync.mjs', import.meta.url))).href;
    const { dir, env } = newHome(cleanups, { NODE_OPTIONS: `--import=${preload}`, TEST_DATASYNC: 'fail' });
    const server = await recorder(cleanups);
    const events = Array.from({ length: 5 }, (_, i) => received({ minutesAgo: 5 - i }));
    await writeStore(dir, events);
    const r = await runCli(['replay', '--since', '1h', '--to', server.url], { env });
    // The replays happened (attempts are synced lazily, at the end): exit 0, with a warning naming the failure.
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(5);
    expect(r.stderr).toMatch(/warning: some attempts could not be recorded in the store: cannot sync the event store to disk: EIO/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('usage errors exit 2; an unknown id exits 1 and sends nothing', async ({ home }) => {
    const { dir, env } = home;
    const ev = received();
    await writeStore(dir, [ev]);
    for (const args of [[], [ev.id, '--type', 'order.paid'], ['--failed', '--status', 'dead'], ['--since', 'later'], [ev.id, '--concurrency', '0'], [ev.id, '--to', 'ftp://x'], [ev.id, '--new-id']]) {
      const r = await runCli(['replay', ...args], { env });
      expect(r.code, args.join(' ')).toBe(2);
    }
    const unknown = await runCli(['replay', ev.id, 'evt_doesnotexist'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no stored event matches 'evt_doesnotexist'.*nothing was sent/);
  });
});
