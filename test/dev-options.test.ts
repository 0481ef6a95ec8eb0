// dev's flags parsed in-process, through the real program: what each value becomes, and one clear usage error for
// each bad one (a bad value from its flag's parser, a bad combination from parseDevOptions).
import { describe, expect, it } from 'vitest';
import { parseDevOptions, type DevFlags, type DevOptions } from '../src/commands/dev/options.js';
import { expectUsageError, flagsOf } from './support/flags.js';

async function dev(...args: string[]): Promise<DevOptions> {
  return parseDevOptions(await flagsOf<DevFlags>(['dev', ...args]), {});
}

describe('parseDevOptions', () => {
  it('applies the defaults defined once in the core', async () => {
    expect(await dev()).toMatchObject({
      host: '127.0.0.1',
      port: 5000,
      path: '/webhook',
      toleranceSeconds: 300,
      maxBody: 1024 * 1024,
      forwardTimeoutMs: 30_000,
      maxAttempts: 5,
      events: [],
      tunnel: true,
      register: false,
    });
  });

  it('reads sizes, durations, schemes, URLs and event globs', async () => {
    const o = await dev('--path', 'etsy', '--max-body', '256kb', '--forward-timeout', '2s', '--scheme', 'Legacy', '--forward-to', 'http://127.0.0.1:3000/hooks', '--events', 'order.*,listing.created,order.payed');
    expect(o).toMatchObject({ path: '/etsy', maxBody: 256 * 1024, forwardTimeoutMs: 2000, scheme: 'legacy', events: ['order.*', 'listing.created', 'order.payed'] });
    expect(o.forwardTo?.href).toBe('http://127.0.0.1:3000/hooks');
    expect(o.unknownEvents).toEqual([{ pattern: 'order.payed', near: expect.arrayContaining(['order.paid']) }]);
  });

  it("--events with an old invented name takes Etsy's name too, and says so", async () => {
    const o = await dev('--events', 'listing.inventory.updated,order.*');
    expect(o.events).toEqual(['listing.inventory.updated', 'inventory.updated', 'order.*']);
    expect(o.unknownEvents).toEqual([]);
    expect(o.eventWarnings).toEqual([expect.stringMatching(/^'listing\.inventory\.updated' is deprecated: Etsy names this event 'inventory\.updated'/)]);
  });

  const bad: [string, string[], RegExp][] = [
    ['a port out of range', ['--port', '70000'], /--port/],
    ['an empty host', ['--host', ' '], /--host/],
    ['a path with a query', ['--path', '/a?b'], /--path/],
    ['the health path', ['--path', '/health'], /health/],
    ['an unknown scheme', ['--scheme', 'v2'], /--scheme must be one of standard, legacy, got 'v2'/],
    ['an empty secret', ['--secret', ''], /--secret is empty/],
    ['a size that is not one', ['--max-body', 'lots'], /--max-body/],
    ['a zero timeout', ['--forward-timeout', '0s'], /--forward-timeout/],
    ['forwarding to itself', ['--forward-to', 'http://localhost:5000/webhook'], /itself/],
    ['--register without the tunnel', ['--register', '--no-tunnel'], /--register needs the public tunnel/],
    ['too many attempts', ['--max-attempts', '1000'], /--max-attempts/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} with a usage error naming the flag`, async () => {
      expect(await expectUsageError(() => dev(...args))).toMatch(message);
    });
  }
});

describe('--retry-schedule', () => {
  it("takes Etsy's own schedule, or a list whose length is the number of attempts", async () => {
    expect(await dev('--retry-schedule', 'etsy')).toMatchObject({
      retrySchedule: [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      maxAttempts: 8,
    });
    expect(await dev('--retry-schedule', '0,100ms,1s')).toMatchObject({ retrySchedule: [0, 100, 1000], maxAttempts: 3 });
    expect(await dev('--retry-schedule', '0,1m', '--max-attempts', '4')).toMatchObject({ retrySchedule: [0, 60_000], maxAttempts: 4 });
    expect((await dev()).retrySchedule).toBeUndefined();
  });

  it('refuses a delay that is not one, naming the flag', async () => {
    expect(await expectUsageError(() => dev('--retry-schedule', '0,soon'))).toMatch(/--retry-schedule: 'soon'/);
    await expectUsageError(() => dev('--retry-schedule', ''));
  });
});
