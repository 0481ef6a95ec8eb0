// Webhook-ids wherever an id is taken (events show, replay), the app's answer kept per attempt, and what replayed
// requests carry: the forwarded headers plus a replay mark; duplicates recognised.
import { describe, expect } from 'vitest';
import { recorder } from './support/recorder.js';
import { received, SECRET, writeStore } from './support/fixtures.js';
import { it, post, runCli, signed, startDev } from './support/index.js';

/** One webhook-id received three times: accepted, then two duplicates (newer). */
async function storeWithDuplicates(dir: string) {
  const accepted = received({ webhookId: 'msg_2a7Xk9PqRs', minutesAgo: 3, remote: '10.1.2.3' });
  const dup1 = received({ webhookId: 'msg_2a7Xk9PqRs', minutesAgo: 2, status: 'duplicate', reason: 'already accepted' });
  const dup2 = received({ webhookId: 'msg_2a7Xk9PqRs', minutesAgo: 1, status: 'duplicate', reason: 'already accepted' });
  const other = received({ webhookId: 'msg_zz9other' });
  await writeStore(dir, [accepted, dup1, dup2, other]);
  return { accepted, dup1, dup2, other };
}

describe('webhook-ids', () => {
  it('events show takes a webhook-id or a unique prefix of it; duplicates: the accepted record, the others listed', async ({ home }) => {
    const { dir, env } = home;
    const { accepted, dup1, dup2 } = await storeWithDuplicates(dir);
    for (const ref of ['msg_2a7Xk9PqRs', 'msg_2a7']) {
      const r = await runCli(['events', 'show', ref], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')[0]).toContain(accepted.id);
      expect(r.stderr).toContain(`webhook-id msg_2a7Xk9PqRs was received 3 times: showing ${accepted.id} (accepted); also ${dup2.id}, ${dup1.id}`);
    }
    const json = await runCli(['events', 'show', 'msg_2a7Xk9PqRs', '--json'], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ id: accepted.id, webhookId: 'msg_2a7Xk9PqRs', duplicates: [dup2.id, dup1.id] });
    // A prefix shared by two webhook-ids is ambiguous; one nobody has is not found; store ids work as before.
    const ambiguous = await runCli(['events', 'show', 'msg_'], { env });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/'msg_' is ambiguous/);
    const none = await runCli(['events', 'show', 'msg_nobody'], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no stored event matches 'msg_nobody' \(as an id or a webhook-id\)/);
    const byId = await runCli(['events', 'show', dup1.id], { env });
    expect(byId.stdout.split('\n')[0]).toContain(dup1.id);
  });

  it('replay msg_… sends the accepted record, with the forwarded headers and a replay mark', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const { accepted, dup1, dup2 } = await storeWithDuplicates(dir);
    const app = await recorder(cleanups);
    const r = await runCli(['replay', 'msg_2a7Xk9PqRs', '--to', app.url], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`webhook-id msg_2a7Xk9PqRs was received 3 times: replaying ${accepted.id} (accepted), not ${dup2.id}, ${dup1.id}`);
    expect(app.requests).toHaveLength(1);
    const got = app.requests[0]!;
    expect(got.headers['webhook-id']).toBe('msg_2a7Xk9PqRs');
    expect(got.headers['x-forwarded-for']).toBe('10.1.2.3');
    expect(got.headers['x-etsyhook-attempt']).toBe('1');
    expect(got.headers['x-etsyhook-replay']).toBe('1');
  });
});

describe('replay and a de-duplicating receiver', () => {
  it('a byte-exact replay to dev is answered as a duplicate: counted apart, exit 0, --resign --new-id suggested; with it, taken', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    const id = (await post(dev.url, signed())).json().id as string;
    const again = await runCli(['replay', id, '--to', dev.url], { env: dev.env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/replayed 1 event byte-exact .*: 0 delivered, 1 duplicate, 0 failed/);
    expect(again.stderr).toMatch(/1 replay was answered as a duplicate .*add --resign --new-id to send them as new events/);
    expect(again.stdout).toMatch(/\(duplicate, replay\)/);
    const json = await runCli(['replay', id, '--to', dev.url, '--json'], { env: dev.env });
    expect(JSON.parse(json.stdout.trim().split('\n')[0]!)).toMatchObject({ id, status: 'delivered', duplicate: true });
    const fresh = await runCli(['replay', id, '--to', dev.url, '--resign', '--new-id', '--secret', SECRET], { env: dev.env });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toMatch(/\(a new webhook-id\) in [\d.]+ m?s: 1 delivered, 0 failed/);
    expect(fresh.stderr).not.toMatch(/duplicate/);
  });

  it('"(webhook-id kept)" only for events that have one', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const legacy = received({ scheme: 'legacy', headers: { 'content-type': 'application/json', 'x-etsy-signature': 'x', 'x-etsy-timestamp': '1' } });
    delete (legacy as { webhookId?: string }).webhookId;
    await writeStore(dir, [legacy]);
    const app = await recorder(cleanups);
    const r = await runCli(['replay', legacy.id, '--to', app.url, '--resign', '--secret', 'any-legacy-secret', '--scheme', 'legacy'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/re-signed with a fresh timestamp and the secret from --secret in/);
    expect(r.stderr).not.toMatch(/webhook-id kept/);
  });
});

describe("the app's answer is kept", () => {
  it('status, headers and body of each attempt: events show prints them, --json carries them', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const ev = received();
    await writeStore(dir, [ev]);
    const app = await recorder(cleanups, { status: 500, headers: { 'x-app-trace': 'trace-77' }, body: '{"error":"NoMethodError","line":42}' });
    expect((await runCli(['replay', ev.id, '--to', app.url], { env })).code).toBe(1);
    const shown = await runCli(['events', 'show', ev.id], { env });
    expect(shown.stdout).toMatch(/→ 500 .*attempt 1/);
    expect(shown.stdout).toMatch(/^ +< x-app-trace: trace-77$/m);
    expect(shown.stdout).toMatch(/^ +"error": "NoMethodError",$/m);
    const json = JSON.parse((await runCli(['events', 'show', ev.id, '--json'], { env })).stdout) as {
      deliveries: { httpStatus: number; response: { headers: Record<string, string>; body: string; truncated?: boolean } }[];
    };
    expect(json.deliveries[0]).toMatchObject({ httpStatus: 500, response: { body: '{"error":"NoMethodError","line":42}', headers: { 'x-app-trace': 'trace-77' } } });
    expect(json.deliveries[0]!.response.truncated).toBeUndefined();
  });

  it('the first 64 KiB of a large answer, marked truncated', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const ev = received();
    await writeStore(dir, [ev]);
    const app = await recorder(cleanups, { status: 502, body: 'x'.repeat(200 * 1024) });
    expect((await runCli(['replay', ev.id, '--to', app.url], { env })).code).toBe(1);
    const json = JSON.parse((await runCli(['events', 'show', ev.id, '--json'], { env })).stdout) as { deliveries: { response: { body: string; truncated?: boolean } }[] };
    expect(json.deliveries[0]!.response.body).toHaveLength(64 * 1024);
    expect(json.deliveries[0]!.response.truncated).toBe(true);
    const shown = await runCli(['events', 'show', ev.id], { env });
    expect(shown.stdout).toMatch(/the answer was longer than 64 KiB; the first 64 KiB were kept/);
  });
});
