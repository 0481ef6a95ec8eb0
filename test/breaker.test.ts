// The circuit breaker of `dev --forward-to`: an app that does not answer at all (refused, timed out) costs an event
// none of its attempts, the one that opened the breaker included; held events are probed and released oldest first;
// an event that hangs the app on every probe uses an attempt after three, so the others get their turn.
import { describe, expect } from 'vitest';
import { it, runCli, SECRET, waitFor, type Home } from './support/index.js';
import { recorder } from './support/recorder.js';

/** `etsyhook send TYPE` to a running dev, as a user would; resolves with the webhook-id it sent. */
async function sendOne(home: Home, url: string, type: string): Promise<string> {
  const r = await runCli(['send', type, '--to', url, '--secret', SECRET, '--json'], { env: home.env });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { event: { id: string } }).event.id;
}

async function statuses(home: Home): Promise<Map<string, string>> {
  const r = await runCli(['events', 'list', '--json'], { env: home.env });
  expect(r.code, r.stderr).toBe(0);
  const events = JSON.parse(r.stdout) as { webhookId: string; status: string }[];
  return new Map(events.map((e) => [e.webhookId, e.status]));
}

describe('the circuit breaker', () => {
  it('an app that is down uses no attempt, even of the event that trips it; back up, held events go oldest first', async ({ cleanups, home, dev: startDev }) => {
    const target = await recorder(cleanups, { mode: 'refuse' });
    const dev = await startDev(['--forward-to', target.url, '--max-attempts', '1']);
    const first = await sendOne(home, dev.url, 'order.paid');
    await waitFor('the hold', () => /holding deliveries/.test(dev.stderr()), 10_000);
    const second = await sendOne(home, dev.url, 'receipt.created');
    // The first probe goes after about 2 s, to the oldest held event; it is refused too.
    await waitFor('an unanswered probe', () => /still no answer from .* \(try 1, not counted as an attempt\); next try in [34](\.\d)? s/.test(dev.stderr()), 15_000);
    expect(dev.stderr()).toMatch(/is not answering: holding deliveries \(stored, not dropped, no attempts used\); next try in (1\.8|1\.9|2|2\.1|2\.2) s/);
    expect(dev.stderr()).not.toMatch(/dead after/);
    expect(dev.store().deliveries.filter((d) => d.status !== 'failed')).toEqual([]);
    expect(dev.store().deliveries.every((d) => d.held === true)).toBe(true);
    const whileDown = await statuses(home);
    expect(whileDown.get(first)).not.toBe('dead');
    expect(whileDown.get(second)).not.toBe('dead');

    await target.setMode('ok');
    await waitFor('both delivered', () => target.order.length === 2, 15_000);
    expect(target.order).toEqual([first, second]);
    await waitFor('the records', async () => {
      const s = await statuses(home);
      return s.get(first) === 'delivered' && s.get(second) === 'delivered';
    }, 5_000);
    // The delivered attempt is the event's first and only one: the held tries were not counted.
    const delivered = dev.store().deliveries.filter((d) => d.status === 'delivered');
    expect(delivered.map((d) => d.attempt)).toEqual([1, 1]);
    expect(dev.stderr()).toMatch(/held until the app answers \(no attempt used\)/);
  });

  it('an event that times out three probes in a row while others are held uses an attempt, and the next is probed', async ({ cleanups, home, dev: startDev }) => {
    // The app hangs on order.paid and answers anything else.
    const app = await recorder(cleanups, { hang: (req) => req.body.toString().includes('"order.paid"') });
    const dev = await startDev(['--forward-to', app.url, '--forward-timeout', '300ms', '--max-attempts', '2', '--retry-schedule', '0,10m']);
    const stuck = await sendOne(home, dev.url, 'order.paid');
    await waitFor('the hold', () => /holding deliveries/.test(dev.stderr()), 10_000);
    const next = await sendOne(home, dev.url, 'receipt.created');
    // Probes at about 2, 4 and 8 s, each to order.paid (the oldest), each timing out; then receipt.created goes.
    await waitFor('receipt.created delivered', () => dev.store().deliveries.some((d) => d.status === 'delivered'), 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${dev.stderr()}`);
    });
    const tried = app.requests.map((r) => r.headers['webhook-id']);
    expect(tried).toEqual([stuck, stuck, stuck, stuck, next]);
    const mine = dev.store().deliveries.filter((d) => d.id === dev.store().deliveries.find((x) => x.status === 'delivered')!.id);
    expect(mine.map((d) => [d.attempt, d.status])).toEqual([[1, 'delivered']]);
    // order.paid: its held first try, then the attempt its third timed-out probe used; not dead, one attempt left.
    const counted = dev.store().deliveries.filter((d) => d.status === 'failed' && d.held !== true);
    expect(counted).toHaveLength(1);
    expect(counted[0]).toMatchObject({ attempt: 1, error: 'timed out after 300 ms' });
    expect((await statuses(home)).get(stuck)).toBe('failed');
  }, 45_000);
});
