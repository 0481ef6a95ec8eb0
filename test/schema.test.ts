// One record schema: every command's --json output holds `status` as an outcome word and `httpStatus` as an HTTP
// code (or null), with the same field names for the same things (README, "The record schema").
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { BIN, ROOT, SECRET, recorder, it, post, runCli, signed, waitFor } from './support/index.js';

const WORDS = {
  received: ['accepted', 'rejected', 'duplicate', 'ignored', 'unstored'],
  delivery: ['delivered', 'failed', 'dead'],
  event: ['accepted', 'rejected', 'duplicate', 'ignored', 'pending', 'delivered', 'failed', 'dead'],
} as const;

/** Every `status` anywhere in `value` is an outcome word and every `httpStatus` a number or null; returns the count. */
function holdsSchema(value: unknown, where: string): number {
  let checked = 0;
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if ('status' in o) {
      const words: readonly string[] = WORDS[(o.kind as keyof typeof WORDS) ?? 'event'] ?? WORDS.event;
      expect(words, `${where}${path}.status`).toContain(o.status);
      checked++;
    }
    const code = o.httpStatus;
    expect(code === undefined || code === null || Number.isInteger(code), `${where}${path}.httpStatus is a code or null`).toBe(true);
    expect(o, `${where}${path}`).not.toHaveProperty('outcome');
    for (const [k, x] of Object.entries(o)) if (k !== 'headers' && k !== 'payload') walk(x, `${path}.${k}`);
  };
  walk(value, '');
  return checked;
}

const lines = (text: string): unknown[] => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);

it('dev, tail, events list/show, replay and send --json all hold the record schema', async ({ dev, home, cleanups }) => {
  const target = await recorder(cleanups);
  const d = await dev(['--json', '--forward-to', target.url]);
  const ev = signed();
  expect((await post(d.url, ev)).status).toBe(200);
  expect((await post(d.url, ev)).json().status).toBe('duplicate');
  expect((await post(d.url, { ...signed(), headers: { 'content-type': 'application/json' } })).status).toBe(401);
  await waitFor('three request lines and a delivery line', () => lines(d.stdout()).length === 4 && lines(d.stdout()).some((l) => (l as { kind?: string }).kind === 'delivery'));
  const devLines = lines(d.stdout());
  expect(holdsSchema(devLines, 'dev --json')).toBe(4);
  expect(devLines).toContainEqual(expect.objectContaining({ kind: 'received', status: 'duplicate', httpStatus: 200, webhookId: ev.id }));
  expect(devLines).toContainEqual(expect.objectContaining({ kind: 'delivery', status: 'delivered', httpStatus: 200, webhookId: ev.id, type: 'order.paid' }));
  await d.stop('SIGINT');

  const list = await runCli(['events', 'list', '--json'], { env: home.env });
  expect(list.code).toBe(0);
  const events = JSON.parse(list.stdout) as { id: string; webhookId: string }[];
  expect(holdsSchema(events, 'events list --json')).toBe(4); // three events, one delivery
  const accepted = events.find((e) => e.webhookId === ev.id && (e as { verdict?: string }).verdict === 'accepted')!;
  const show = await runCli(['events', 'show', accepted.id, '--json'], { env: home.env });
  expect(holdsSchema(JSON.parse(show.stdout), 'events show --json')).toBe(2);

  const replay = await runCli(['replay', accepted.id, '--to', target.url, '--json'], { env: home.env });
  expect(replay.code).toBe(0);
  expect(holdsSchema(lines(replay.stdout), 'replay --json')).toBe(1);

  // send talks to any receiver: its answer is an attempt (status the outcome word, httpStatus the code).
  const sent = await runCli(['send', 'order.paid', '--to', target.url, '--json', '--secret', SECRET], { env: home.env });
  expect(sent.code).toBe(0);
  const answer = JSON.parse(sent.stdout) as { response: { status: string; httpStatus: number } };
  expect(answer.response).toMatchObject({ status: 'delivered', httpStatus: 200 });
  expect(holdsSchema(answer, 'send --json')).toBe(1);
  const batch = await runCli(['send', 'order.paid', '--to', target.url, '--json', '--count', '3', '--secret', SECRET], { env: home.env });
  expect(JSON.parse(batch.stdout)).toMatchObject({ count: 3, httpStatuses: { '200': 3 } });

  const tail = spawn(process.execPath, [BIN, 'tail', '--json', '--since', '1h'], { env: home.env, cwd: ROOT });
  cleanups.push(() => tail.kill('SIGKILL'));
  let tailed = '';
  tail.stdout.on('data', (b: Buffer) => (tailed += b));
  await waitFor('tail to show the backlog', () => lines(tailed).length >= 5);
  expect(holdsSchema(lines(tailed), 'tail --json')).toBeGreaterThanOrEqual(5);
});
