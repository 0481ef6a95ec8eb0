import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { formatRecord, type StoreRecord } from '../src/core/log/records.js';
import { signatureHeaders } from '../src/core/receive/signature.js';
import { it, post, ROOT, runCli, signed, startCli, startDev, waitFor, type Proc, type Scope } from './support/index.js';
import { redis, serve } from './support/redis.js';
import { startRecorder } from './support/recorder.js';
import { delivery, eventsDir, logFile, received, SECRET, writeStore } from './support/fixtures.js';

async function tail(cleanups: Scope, env: NodeJS.ProcessEnv, ...args: string[]): Promise<Proc> {
  const t = await startCli(['tail', ...args], { env, ready: /waiting for events|following/ });
  cleanups.push(() => t.stop('SIGKILL'));
  return t;
}

/** Append records from a separate process, as a receiver would. */
function appendFromAnotherProcess(home: string, records: readonly StoreRecord[]): Promise<void> {
  const script = `
    const { EventStore } = await import(${JSON.stringify(join(ROOT, 'dist', 'core', 'log', 'store.js'))});
    const records = JSON.parse(process.argv[1]);
    const store = await EventStore.open(${JSON.stringify(eventsDir(home))});
    await Promise.all(records.map((r) => store.append(r)));
    await store.close();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(records)], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
  });
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('tail', () => {
  it('follows a running etsyhook dev from another process: requests and delivery attempts', async ({ cleanups, home }) => {
    const { env } = home;
    const t = await tail(cleanups, env);
    const app = await startRecorder();
    cleanups.push(() => app.close());
    const dev = await startDev(cleanups, ['--forward-to', app.url], { home });
    const body = JSON.stringify({ event_type: 'order.shipped', resource_url: 'https://api.etsy.com/v3/application/shops/1/receipts/2', shop_id: 1 });
    const res = await fetch(dev.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signatureHeaders('standard', SECRET, body) },
      body,
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const bad = await fetch(dev.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(bad.status).toBe(401);
    await waitFor('three lines', () => t.stdout().split('\n').length > 3);
    const lines = t.stdout().trim().split('\n');
    // The answer each request got, as `dev` showed it.
    expect(lines.find((l) => l.includes(id) && l.includes('accepted'))).toMatch(/accepted  200  order\.shipped/);
    expect(lines.find((l) => l.includes(id) && l.includes('→'))).toMatch(/→ 200 \d+ ms  order\.shipped/);
    expect(lines.find((l) => l.includes('rejected'))).toMatch(/rejected  401  order\.shipped .*missing signature headers/);
    expect(await dev.stop('SIGINT')).toBe(0);
    expect(await t.stop('SIGINT')).toBe(0);
  });

  it('started before any store exists, shows what another process writes; SIGINT exits 0', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const t = await tail(cleanups, env);
    expect(t.stderr()).toMatch(/waiting for events/);
    const ev = received();
    const rejected = received({ status: 'rejected', reason: 'stale timestamp', type: 'listing.created' });
    await appendFromAnotherProcess(dir, [ev, rejected]);
    await waitFor('the received lines', () => t.stdout().includes(rejected.id));
    await appendFromAnotherProcess(dir, [delivery(ev, { target: 'http://127.0.0.1:3000/webhooks' })]);
    await waitFor('the delivery line', () => t.stdout().includes(' → '));
    const lines = t.stdout().trim().split('\n');
    expect(lines).toHaveLength(3);
    // The look of `etsyhook dev`'s own lines.
    expect(lines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  accepted  order\\.paid\\s+${ev.id}$`));
    expect(lines[1]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  rejected  listing\\.created\\s+${rejected.id}  stale timestamp$`));
    expect(lines[2]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d    → 200 7 ms  order\\.paid  ${ev.id}$`));
    expect(await t.stop('SIGINT')).toBe(0);
  });

  it('--json: NDJSON with kind, id, type, status, at; filters by type (deliveries too) and status', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const earlier = received({ type: 'order.shipped', minutesAgo: 2 }); // stored before tail starts
    await writeStore(dir, [earlier]);
    const t = await tail(cleanups, env, '--json', '--type', 'order.s*', '--status', 'accepted,failed');
    const listing = received({ type: 'listing.updated' });
    const shipped = received({ type: 'order.shipped' });
    await appendFromAnotherProcess(dir, [
      listing,
      shipped,
      delivery(listing, { status: 'failed', httpStatus: 500 }),
      delivery(earlier, { status: 'failed', httpStatus: 503 }),
      delivery(shipped), // delivered: filtered out by --status
      received({ type: 'order.shipped', status: 'rejected', reason: 'bad signature' }), // rejected: filtered out
    ]);
    // A sentinel that passes the filter, written after the rest: once it is shown, tail has judged all of them.
    const sentinel = received({ type: 'order.shipped' });
    await appendFromAnotherProcess(dir, [sentinel]);
    await waitFor('the sentinel', () => t.stdout().includes(sentinel.id));
    const lines = jsonLines(t.stdout()).filter((l) => l.id !== sentinel.id);
    expect(lines).toEqual([
      { kind: 'received', id: shipped.id, type: 'order.shipped', status: 'accepted', at: shipped.at, httpStatus: null, reason: null, scheme: 'standard', webhookId: shipped.webhookId, method: 'POST', path: '/webhook' },
      expect.objectContaining({ kind: 'delivery', id: earlier.id, type: 'order.shipped', status: 'failed', httpStatus: 503, attempt: 1, replay: false }),
    ]);
    expect(t.stderr()).not.toMatch(/warning/);
    expect(await t.stop('SIGINT')).toBe(0);
  });

  it('--since first shows what is stored from that far back; without it, only what comes next', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const old = received({ minutesAgo: 90 });
    const recent = received({ minutesAgo: 10 });
    await writeStore(dir, [old, recent, delivery(recent)]);
    const withSince = await tail(cleanups, env, '--since', '30m', '--json');
    await waitFor('the backlog', () => jsonLines(withSince.stdout()).length >= 2);
    expect(jsonLines(withSince.stdout()).map((l) => [l.kind, l.id])).toEqual([
      ['received', recent.id],
      ['delivery', recent.id],
    ]);
    const without = await tail(cleanups, env, '--json');
    const next = received();
    await appendFromAnotherProcess(dir, [next]);
    await waitFor('the new event in both', () => jsonLines(without.stdout()).length >= 1 && jsonLines(withSince.stdout()).length >= 3);
    expect(jsonLines(without.stdout()).map((l) => l.id)).toEqual([next.id]);
    expect(jsonLines(withSince.stdout()).map((l) => l.id)).toEqual([recent.id, recent.id, next.id]);
    expect(await withSince.stop('SIGINT')).toBe(0);
    expect(await without.stop('SIGINT')).toBe(0);
  });

  it('warns about a torn record and carries on with the next one', async ({ cleanups, home }) => {
    const { dir, env } = home;
    await writeStore(dir, [received()]);
    const t = await tail(cleanups, env, '--json');
    const torn = formatRecord(received());
    appendFileSync(logFile(dir), torn.slice(0, 40)); // a receiver killed mid-write
    const after = received();
    await appendFromAnotherProcess(dir, [after]); // EventStore.open starts it on a fresh line
    await waitFor('the record after the torn one', () => t.stdout().includes(after.id));
    expect(jsonLines(t.stdout()).map((l) => l.id)).toEqual([after.id]);
    expect(t.stderr()).toMatch(/warning: skipped an unreadable record at byte \d+/);
    expect(await t.stop('SIGINT')).toBe(0);
  });

  it('keeps up with a burst of 20,000 records written at once, in order, none lost', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const t = await tail(cleanups, env, '--json');
    const burst: StoreRecord[] = Array.from({ length: 20_000 }, (_, i) => received({ type: i % 2 ? 'order.paid' : 'listing.updated' }));
    const started = Date.now();
    await writeBurst(dir, burst);
    await waitFor('the whole burst', () => t.stdout().split('\n').length > 20_000, 20_000);
    const took = Date.now() - started;
    const ids = jsonLines(t.stdout()).map((l) => l.id);
    expect(ids).toEqual(burst.map((r) => r.id));
    expect(took).toBeLessThan(10_000); // generous for a shared CI machine; the bench measures the rate
    expect(await t.stop('SIGINT')).toBe(0);
  });

  it('carries on after events clear replaces the log, without repeating what it showed', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const old = received({ minutesAgo: 120 });
    await writeStore(dir, [old]);
    const t = await tail(cleanups, env, '--json');
    const before = received();
    await appendFromAnotherProcess(dir, [before]);
    await waitFor('the first event', () => t.stdout().includes(before.id));
    const { clearEvents } = await import('../src/core/log/clear.js');
    await clearEvents(logFile(dir), { olderThan: Date.now() - 3_600_000, graceMs: 0 });
    const after = received();
    await appendFromAnotherProcess(dir, [after]);
    // A sentinel after it: once it is shown, anything repeated from before the clear would have been shown too.
    const sentinel = received();
    await appendFromAnotherProcess(dir, [sentinel]);
    await waitFor('the sentinel after the clear', () => t.stdout().includes(sentinel.id));
    expect(jsonLines(t.stdout()).map((l) => l.id)).toEqual([before.id, after.id, sentinel.id]);
    expect(await t.stop('SIGINT')).toBe(0);
  });
});

describe('tail --queue', () => {
  it('follows the Redis history without touching the home: an ETSYHOOK_HOME that is a file does not stop it', async ({ cleanups, home }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, home);
    const broken = join(home.dir, 'a-file');
    writeFileSync(broken, '');
    const env = { ...home.env, ETSYHOOK_HOME: broken };
    // Without --queue, that home is said to be unusable (one line, exit 1): the queue is what makes it irrelevant.
    const local = await runCli(['tail'], { env });
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/ETSYHOOK_HOME \(.*a-file\) is a file, not a directory/);
    const t = await startCli(['tail', '--json', '--queue', r.url], { env, ready: /following the Redis history/ });
    cleanups.push(() => t.stop('SIGKILL'));
    const id = (await post(s.url, signed({ type: 'order.paid' }))).json().id as string;
    await waitFor('the received line', () => t.stdout().includes(id));
    expect(jsonLines(t.stdout()).map((l) => [l.kind, l.id, l.status])).toEqual([['received', id, 'accepted']]);
    // events --queue the same way, and through ETSYHOOK_QUEUE as well as the flag.
    const listed = await runCli(['events', 'list', '--json'], { env: { ...env, ETSYHOOK_QUEUE: r.url } });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((e) => e.id)).toEqual([id]);
    expect(await t.stop('SIGTERM')).toBe(0);
  });
});

describe('tail --last', () => {
  it('shows the last N matching records, read from the end (never the start of the log), then follows', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const paid = Array.from({ length: 12 }, (_, i) => received({ type: 'order.paid', minutesAgo: 30 - i }));
    const listings = Array.from({ length: 5 }, (_, i) => received({ type: 'listing.updated', minutesAgo: 10 - i }));
    // Garbage at the very start of the log: a reader that went that far would say so.
    mkdirSync(eventsDir(dir), { recursive: true });
    appendFileSync(logFile(dir), 'not a record\n');
    await writeStore(dir, [...paid, ...listings, delivery(paid[11]!)]);
    const t = await tail(cleanups, env, '--last', '3', '--type', 'order.paid', '--json');
    await waitFor('three lines', () => jsonLines(t.stdout()).length === 3);
    // The two newest requests of that type and the newest record of all (their attempt), oldest first.
    expect(jsonLines(t.stdout()).map((l) => [l.kind, l.id])).toEqual([
      ['received', paid[10]!.id],
      ['received', paid[11]!.id],
      ['delivery', paid[11]!.id],
    ]);
    expect(t.stderr()).not.toMatch(/unreadable/);
    // Then it follows.
    const next = received({ type: 'order.paid' });
    await appendFromAnotherProcess(dir, [received({ type: 'listing.created' }), next]);
    await waitFor('the next one', () => jsonLines(t.stdout()).length === 4);
    expect(jsonLines(t.stdout())[3]).toMatchObject({ kind: 'received', id: next.id });
  });
});

async function writeBurst(home: string, records: readonly StoreRecord[]): Promise<void> {
  const { EventStore } = await import('../src/core/log/store.js');
  const store = await EventStore.open(eventsDir(home));
  await Promise.all(records.map((r) => store.append(r)));
  await store.close();
}
