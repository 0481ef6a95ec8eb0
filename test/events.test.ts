import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { formatRecord, type ReceivedRecord } from '../src/core/log/records.js';
import { cleanEnv, it, runCli } from './support/index.js';
import { delivery, eventsDir, logFile, received, writeStore } from './support/fixtures.js';
import { startFakeEtsy } from './support/fake-etsy.js';

interface ListedEvent {
  id: string;
  type: string | null;
  status: string;
  at: string;
  verdict: string;
  httpStatus: number | null;
  reason: string | null;
  webhookId: string | null;
  attempts: number;
  deliveries: { httpStatus: number | null; status: string; ms: number | null; at: string; error: string | null; target: string; attempt: number }[];
}

async function listJson(env: NodeJS.ProcessEnv, ...args: string[]): Promise<ListedEvent[]> {
  const r = await runCli(['events', 'list', '--json', ...args], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as ListedEvent[];
}

describe('events list', () => {
  it('on an empty store says so on stderr and exits 0; --json prints []', async ({ home }) => {
    const { env } = home;
    const human = await runCli(['events', 'list'], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(/no events stored yet/);
    const json = await runCli(['events', 'list', '--json'], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('lists newest first with statuses derived from the last delivery attempt', async ({ home }) => {
    const { dir, env } = home;
    const paid = received({ minutesAgo: 50 });
    const shipped = received({ type: 'order.shipped', minutesAgo: 40 });
    const listing = received({ type: 'listing.created', minutesAgo: 30 });
    const stale = received({ minutesAgo: 20, status: 'rejected', httpStatus: 401, reason: 'stale timestamp: signed 400 s ago' });
    const dead = received({ type: 'order.canceled', minutesAgo: 10 });
    await writeStore(dir, [
      paid,
      delivery(paid, { status: 'failed', httpStatus: 500 }),
      shipped,
      delivery(paid, { attempt: 2 }),
      listing,
      stale,
      dead,
      delivery(dead, { status: 'failed', error: 'connection refused', httpStatus: undefined }),
      delivery(dead, { status: 'dead', attempt: 2, error: 'connection refused', httpStatus: undefined }),
    ]);
    const all = await listJson(env);
    expect(all.map((e) => e.id)).toEqual([dead.id, stale.id, listing.id, shipped.id, paid.id]);
    const byId = new Map(all.map((e) => [e.id, e]));
    expect(byId.get(paid.id)).toMatchObject({ type: 'order.paid', status: 'delivered', verdict: 'accepted', attempts: 2, reason: null, webhookId: paid.webhookId });
    // The answer the receiver gave, when the record kept it (records from before it was kept have none).
    expect(byId.get(stale.id)).toMatchObject({ status: 'rejected', verdict: 'rejected', httpStatus: 401 });
    expect(byId.get(paid.id)!.httpStatus).toBeNull();
    expect(byId.get(paid.id)!.deliveries.map((d) => [d.attempt, d.httpStatus, d.status])).toEqual([
      [1, 500, 'failed'],
      [2, 200, 'delivered'],
    ]);
    expect(byId.get(paid.id)!.at).toBe(paid.at);
    expect(byId.get(shipped.id)).toMatchObject({ status: 'accepted', deliveries: [] });
    expect(byId.get(stale.id)).toMatchObject({ status: 'rejected', reason: 'stale timestamp: signed 400 s ago' });
    expect(byId.get(dead.id)).toMatchObject({ status: 'dead' });
    expect(byId.get(dead.id)!.deliveries[1]).toMatchObject({ httpStatus: null, status: 'dead', error: 'connection refused', target: 'http://127.0.0.1:3000/webhooks' });

    const table = await runCli(['events', 'list'], { env });
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^received\s+id\s+webhook-id\s+type\s+status$/);
    expect(rows[1]).toContain(dead.id);
    expect(rows[1]).toMatch(/dead ×2/);
    // Not a terminal: no width limit, nothing cut: whole webhook-ids, types, statuses and reasons.
    expect(table.stdout).not.toContain('…');
    expect(rows.find((r) => r.includes(stale.id))).toMatch(/  order\.paid +rejected stale timestamp: signed 400 s ago$/);
    expect(rows.find((r) => r.includes(paid.id))).toContain(`  ${paid.webhookId!}  `);
  });

  it('--webhook-id finds the events that carried it (duplicates too); the table shows it', async ({ home }) => {
    const { dir, env } = home;
    const first = received({ webhookId: 'msg_2x9KkqO0sW5yC3ZpT1nR8bQe', minutesAgo: 3 });
    const again = received({ webhookId: 'msg_2x9KkqO0sW5yC3ZpT1nR8bQe', status: 'duplicate', minutesAgo: 2 });
    const other = received({ webhookId: 'msg_other', minutesAgo: 1 });
    await writeStore(dir, [first, again, other]);
    expect((await listJson(env, '--webhook-id', 'msg_2x9KkqO0sW5yC3ZpT1nR8bQe')).map((e) => e.id)).toEqual([again.id, first.id]);
    expect((await listJson(env, '--webhook-id', 'msg_other,msg_none')).map((e) => e.id)).toEqual([other.id]);
    const wide = await runCli(['events', 'list', '--webhook-id', 'msg_other'], { env });
    expect(wide.stdout.trim().split('\n')[1]).toMatch(new RegExp(`${other.id}\\s+msg_other\\s+order\\.paid\\s+accepted`));
  });

  it("--type with an old invented name finds events stored under it and under Etsy's name, and warns", async ({ home }) => {
    const { dir, env } = home;
    const old = received({ type: 'listing.inventory.updated', minutesAgo: 10 });
    const current = received({ type: 'inventory.updated', minutesAgo: 5 });
    const other = received({ type: 'inventory.deleted', minutesAgo: 2 });
    await writeStore(dir, [old, current, other]);
    const r = await runCli(['events', 'list', '--json', '--type', 'listing.inventory.updated'], { env });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as ListedEvent[]).map((e) => e.id)).toEqual([current.id, old.id]);
    expect(r.stderr.trim()).toBe("warning: 'listing.inventory.updated' is deprecated: Etsy names this event 'inventory.updated'; write that (the old name is still accepted for now)");
    expect((await listJson(env, '--type', 'inventory.*')).map((e) => e.id)).toEqual([other.id, current.id]);
  });

  it("an empty --type, --webhook-id or --status is a usage error naming it, not a filter that matches everything", async ({ home }) => {
    const { dir, env } = home;
    await writeStore(dir, [received()]);
    for (const args of [['events', 'list', '--type', ''], ['events', 'list', '--webhook-id', ' , '], ['events', 'list', '--status', ''], ['tail', '--type', ''], ['replay', '--type', '', '--dry-run']]) {
      const r = await runCli(args, { env });
      const flag = args.find((a) => a.startsWith('--'))!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe(`error: ${flag} is empty; give one or more values (comma-separated), or leave ${flag} out`);
    }
  });

  it('filters by type globs, status, since and limit', async ({ home }) => {
    const { dir, env } = home;
    const old = received({ minutesAgo: 180 });
    const a = received({ type: 'order.shipped', minutesAgo: 25 });
    const b = received({ type: 'listing.updated', minutesAgo: 15 });
    const c = received({ minutesAgo: 5 });
    const failed = received({ type: 'order.canceled', minutesAgo: 4 });
    // A header named "type" must not fool the type filter: the record's type is what counts.
    const decoy = received({ type: 'listing.created', minutesAgo: 3 });
    decoy.headers.type = 'order.paid';
    await writeStore(dir, [old, a, b, c, failed, delivery(failed, { status: 'failed', httpStatus: 503 }), decoy]);

    expect((await listJson(env, '--type', 'order.paid')).map((e) => e.id)).toEqual([c.id, old.id]);
    expect((await listJson(env, '--type', 'order.*')).map((e) => e.id)).toEqual([failed.id, c.id, a.id, old.id]);
    expect((await listJson(env, '--type', 'listing.updated,order.ship*')).map((e) => e.id)).toEqual([b.id, a.id]);
    expect((await listJson(env, '--type', 'listing.*', '--type', 'order.canceled')).map((e) => e.id)).toEqual([decoy.id, failed.id, b.id]);
    expect((await listJson(env, '--status', 'failed')).map((e) => e.id)).toEqual([failed.id]);
    expect((await listJson(env, '--status', 'accepted', '--type', 'order.*')).map((e) => e.id)).toEqual([c.id, a.id, old.id]);
    expect((await listJson(env, '--since', '20m')).map((e) => e.id)).toEqual([decoy.id, failed.id, c.id, b.id]);
    expect((await listJson(env, '--since', '2h', '--type', 'order.*')).map((e) => e.id)).toEqual([failed.id, c.id, a.id]);
    expect((await listJson(env, '--limit', '2')).map((e) => e.id)).toEqual([decoy.id, failed.id]);
    expect(await listJson(env, '--type', 'shop.updated')).toEqual([]);
  });

  it('rejects bad flag values with exit 2', async ({ home }) => {
    const { dir, env } = home;
    await writeStore(dir, [received()]);
    for (const args of [
      ['--since', 'yesterday'],
      ['--since', '5 parsecs'],
      ['--status', 'lost'],
      ['--limit', '0'],
      ['--limit', 'ten'],
    ]) {
      const r = await runCli(['events', 'list', ...args], { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(args[0]!));
    }
  });

  it('skips a torn last record with a warning and lists the rest', async ({ home }) => {
    const { dir, env } = home;
    const kept = received();
    await writeStore(dir, [kept]);
    const torn = formatRecord(received());
    appendFileSync(logFile(dir), torn.slice(0, torn.length - 30)); // the receiver died mid-write
    const r = await runCli(['events', 'list', '--json'], { env });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as ListedEvent[]).map((e) => e.id)).toEqual([kept.id]);
    expect(r.stderr).toMatch(/warning: skipped 1 unreadable record at byte \d+ .*torn/);
  });

  it('reads a store larger than one read chunk, keeping attempts with their events', async ({ home }) => {
    const { dir, env } = home;
    const records = [];
    const events: ReceivedRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      const ev = received({ type: i % 2 === 0 ? 'order.paid' : 'listing.updated', minutesAgo: 60 - i / 100 });
      events.push(ev);
      records.push(ev);
      // Attempts land a few events later in the log, as with a forwarder that is behind.
      if (i >= 3) records.push(delivery(events[i - 3]!, { attempt: 1 }));
    }
    const { EventStore } = await import('../src/core/log/store.js');
    const store = await EventStore.open(eventsDir(dir));
    await Promise.all(records.map((r) => store.append(r)));
    await store.close();
    const listed = await listJson(env, '--type', 'order.paid', '--limit', '1000');
    expect(listed).toHaveLength(1000);
    expect(listed[0]!.id).toBe(events[2998]!.id);
    expect(listed[0]!.deliveries).toHaveLength(0); // its attempt was not written yet
    expect(listed.slice(1).every((e) => e.deliveries.length === 1 && e.deliveries[0]!.attempt === 1)).toBe(true);
    expect(listed.every((e) => e.type === 'order.paid')).toBe(true);
  });
});

describe('events show', () => {
  it('finds an event by a unique prefix, with or without evt_, and shows headers, body and attempts', async ({ home }) => {
    const { dir, env } = home;
    const ev = received({ id: 'evt_abcd1111111111111111'.slice(0, 20), forwardTo: 'http://127.0.0.1:3000/webhooks' });
    const other = received({ id: 'evt_abce2222222222222222'.slice(0, 20) });
    await writeStore(dir, [ev, delivery(ev, { status: 'failed', httpStatus: 502 }), other]);

    const human = await runCli(['events', 'show', 'evt_abcd'], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(ev.id);
    expect(human.stdout).toContain(`webhook-signature: ${ev.headers['webhook-signature']}`);
    expect(human.stdout).toContain('  "event_type": "order.paid"');
    expect(human.stdout).toMatch(/→ 502  order\.paid  evt_abcd\w+  attempt 1, failed  \(http:\/\/127\.0\.0\.1:3000\/webhooks\)/);
    expect(human.stdout).toMatch(/failed/);

    const json = await runCli(['events', 'show', 'abcd', '--json'], { env });
    expect(json.code).toBe(0);
    const shown = JSON.parse(json.stdout) as ListedEvent & { headers: Record<string, string>; body: string; payload: unknown };
    expect(shown).toMatchObject({ id: ev.id, status: 'failed', type: 'order.paid', headers: ev.headers, body: ev.body });
    expect(shown.payload).toEqual(JSON.parse(ev.body!));
    expect(shown.deliveries).toHaveLength(1);
  });

  it('says which events an ambiguous prefix matches, and when nothing matches (exit 1)', async ({ home }) => {
    const { dir, env } = home;
    const a = received({ id: 'evt_zz11aaaaaaaaaaaa' });
    const b = received({ id: 'evt_zz22aaaaaaaaaaaa' });
    await writeStore(dir, [a, b]);
    const ambiguous = await runCli(['events', 'show', 'evt_zz'], { env });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stdout).toBe('');
    expect(ambiguous.stderr).toContain('ambiguous');
    expect(ambiguous.stderr).toContain(a.id);
    expect(ambiguous.stderr).toContain(b.id);
    const unknown = await runCli(['events', 'show', 'evt_nope'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no stored event matches 'evt_nope'/);
    expect((await runCli(['events', 'show', 'zz2'], { env })).code).toBe(0);
  });

  it('counts every event an ambiguous prefix matches, past the 50 it keeps: events show and replay say "(92 in all)"', async ({ home }) => {
    const { dir, env } = home;
    const many = Array.from({ length: 92 }, (_, i) => received({ id: `evt_qq${String(i).padStart(14, '0')}` }));
    await writeStore(dir, [...many, received({ id: 'evt_rr00000000000000' })]);
    for (const args of [['events', 'show', 'evt_qq'], ['replay', 'evt_qq', '--to', 'http://127.0.0.1:9/x']]) {
      const r = await runCli(args, { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/'evt_qq' is ambiguous: it matches evt_qq\d{14}, .*, … \(92 in all\)/);
    }
  });

  it('--raw writes the exact stored bytes: JSON that would not survive a round trip, and invalid UTF-8', async ({ home }) => {
    const { dir, env } = home;
    const json = Buffer.from('{"shop_id": 12345678901234567890,  "price": 1.10, "a": 1, "a": 2}\n');
    const binary = Buffer.from([0x7b, 0x22, 0x78, 0x22, 0x3a, 0xff, 0xfe, 0x00, 0x7d]);
    const e1 = received({ bytes: json });
    const e2 = received({ bytes: binary });
    await writeStore(dir, [e1, e2]);
    const r1 = await runCli(['events', 'show', e1.id, '--raw'], { env });
    expect(r1.code).toBe(0);
    expect(r1.stdoutBytes.equals(json)).toBe(true);
    const r2 = await runCli(['events', 'show', e2.id, '--raw'], { env });
    expect(r2.code).toBe(0);
    expect(r2.stdoutBytes.equals(binary)).toBe(true);

    // The human view shows the body as sent (no rounding of big numbers), and hex for bytes that are not UTF-8.
    const human = await runCli(['events', 'show', e1.id], { env });
    expect(human.stdout).toContain('"shop_id": 12345678901234567890');
    expect(human.stdout).toContain('"price": 1.10');
    const hex = await runCli(['events', 'show', e2.id], { env });
    expect(hex.stdout).toMatch(/not valid UTF-8/);
    expect(hex.stdout).toContain('7b 22 78 22 3a ff fe 00 7d');
    const asJson = JSON.parse((await runCli(['events', 'show', e2.id, '--json'], { env })).stdout) as { body: null; bodyBase64: string };
    expect(asJson.body).toBeNull();
    expect(Buffer.from(asJson.bodyBase64, 'base64').equals(binary)).toBe(true);
  });

  it('--expand fetches the resource the event names, with the user\'s token', async ({ cleanups, home }) => {
    const { dir } = home;
    const fake = await startFakeEtsy();
    cleanups.push(() => fake.close());
    const t = fake.issueTokens();
    const env = cleanEnv(dir, { ETSY_API_KEY: fake.keystring, ETSY_SHARED_SECRET: fake.sharedSecret, ETSY_ACCESS_TOKEN: t.accessToken, ETSY_API_BASE: fake.apiBase });
    const body = { event_type: 'order.paid', resource_url: `https://api.etsy.com/v3/application/shops/${fake.shopId}/receipts/2912345678`, shop_id: fake.shopId };
    const ev = received({ bytes: Buffer.from(JSON.stringify(body)) });
    const plain = received({ bytes: Buffer.from('{"hello":"world"}') });
    await writeStore(dir, [ev, plain]);
    const json = await runCli(['events', 'show', ev.id, '--expand', '--json'], { env });
    expect(json.code).toBe(0);
    const shown = JSON.parse(json.stdout) as { id: string; resource: { url: string; data: { receipt_id: number } } };
    expect(shown.id).toBe(ev.id);
    expect(shown.resource).toEqual({ url: body.resource_url, data: expect.objectContaining({ receipt_id: 2912345678, shop_id: fake.shopId }) });
    const human = await runCli(['events', 'show', ev.id, '--expand'], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Resource \(GET https:\/\/api\.etsy\.com\/v3\/application\/shops\/\d+\/receipts\/2912345678\)/);
    expect(human.stdout).toContain('"receipt_id": 2912345678');
    const none = await runCli(['events', 'show', plain.id, '--expand'], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/names no Etsy resource/);
    const loggedOut = await runCli(['events', 'show', ev.id, '--expand'], { env: cleanEnv(dir) });
    expect(loggedOut.code).toBe(2);
    expect(loggedOut.stderr).toMatch(/not logged in/);
  });

  it('refuses --raw with --json (exit 2)', async ({ home }) => {
    const { dir, env } = home;
    const ev = received();
    await writeStore(dir, [ev]);
    const r = await runCli(['events', 'show', ev.id, '--raw', '--json'], { env });
    expect(r.code).toBe(2);
  });
});

describe('events clear', () => {
  it('needs --yes without a terminal (exit 2) and deletes nothing', async ({ home }) => {
    const { dir, env } = home;
    await writeStore(dir, [received()]);
    const before = readFileSync(logFile(dir));
    const r = await runCli(['events', 'clear'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(readFileSync(logFile(dir)).equals(before)).toBe(true);
  });

  it('--older-than keeps recent events and their attempts byte for byte, drops old ones with theirs', async ({ home }) => {
    const { dir, env } = home;
    const old = received({ minutesAgo: 300 });
    const recent = received({ minutesAgo: 5 });
    // An old event retried (replayed) recently: its attempt goes with it.
    const oldRetry = delivery(old, { at: new Date().toISOString(), attempt: 2 });
    await writeStore(dir, [old, delivery(old), recent, delivery(recent), oldRetry]);
    const recentLines = readFileSync(logFile(dir), 'utf8')
      .split('\n')
      .filter((l) => l.includes(recent.id));
    const r = await runCli(['events', 'clear', '--older-than', '1h', '--yes'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/removed 1 event, kept 1 event/);
    expect(readFileSync(logFile(dir), 'utf8')).toBe(`${recentLines.join('\n')}\n`);
    expect((await listJson(env)).map((e) => [e.id, e.attempts])).toEqual([[recent.id, 1]]);
    expect(readdirSync(eventsDir(dir)).filter((f) => f.includes('clearing'))).toEqual([]);

    const all = await runCli(['events', 'clear', '--yes', '--json'], { env });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ removed: 1, kept: 0 });
    expect(await listJson(env)).toEqual([]);
  });

  it('on an empty store removes nothing and exits 0; a bad duration is a usage error', async ({ home }) => {
    const { dir, env } = home;
    const r = await runCli(['events', 'clear', '--yes'], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/removed 0 events/);
    expect(existsSync(logFile(dir))).toBe(false);
    expect((await runCli(['events', 'clear', '--older-than', 'soon', '--yes'], { env })).code).toBe(2);
  });
});
