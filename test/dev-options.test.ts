// dev's flags parsed in-process: what each raw value becomes, and one clear usage error for each bad one.
import { describe, expect, it } from 'vitest';
import { parseDevOptions, type RawDevOptions } from '../src/commands/dev-options.js';
import { UsageError } from '../src/errors.js';

const defaults: RawDevOptions = { host: '127.0.0.1', port: '5000', path: '/webhook', tunnel: true };

describe('parseDevOptions', () => {
  it('applies the defaults defined once in the core', () => {
    expect(parseDevOptions(defaults)).toMatchObject({
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

  it('reads sizes, durations, schemes, URLs and event globs', () => {
    const o = parseDevOptions({ ...defaults, path: 'etsy', maxBody: '256kb', forwardTimeout: '2s', scheme: 'Legacy', forwardTo: 'http://127.0.0.1:3000/hooks', events: 'order.*,listing.created,order.payed' });
    expect(o).toMatchObject({ path: '/etsy', maxBody: 256 * 1024, forwardTimeoutMs: 2000, scheme: 'legacy', events: ['order.*', 'listing.created', 'order.payed'] });
    expect(o.forwardTo?.href).toBe('http://127.0.0.1:3000/hooks');
    expect(o.unknownEvents).toEqual([{ pattern: 'order.payed', near: expect.arrayContaining(['order.paid']) }]);
  });

  it("--events with an old invented name takes Etsy's name too, and says so", () => {
    const o = parseDevOptions({ ...defaults, events: 'listing.inventory.updated,order.*' });
    expect(o.events).toEqual(['listing.inventory.updated', 'inventory.updated', 'order.*']);
    expect(o.unknownEvents).toEqual([]);
    expect(o.eventWarnings).toEqual([expect.stringMatching(/^'listing\.inventory\.updated' is deprecated: Etsy names this event 'inventory\.updated'/)]);
  });

  const bad: [string, Partial<RawDevOptions>, RegExp][] = [
    ['a port out of range', { port: '70000' }, /--port/],
    ['an empty host', { host: ' ' }, /--host/],
    ['a path with a query', { path: '/a?b' }, /--path/],
    ['the health path', { path: '/health' }, /health/],
    ['an unknown scheme', { scheme: 'v2' }, /--scheme must be standard or legacy/],
    ['an empty secret', { secret: '' }, /--secret is empty/],
    ['a size that is not one', { maxBody: 'lots' }, /--max-body/],
    ['a zero timeout', { forwardTimeout: '0s' }, /--forward-timeout/],
    ['forwarding to itself', { forwardTo: 'http://localhost:5000/webhook' }, /itself/],
    ['--register without the tunnel', { register: true, tunnel: false }, /--register needs the public tunnel/],
    ['too many attempts', { maxAttempts: '1000' }, /--max-attempts/],
  ];
  for (const [what, raw, message] of bad) {
    it(`refuses ${what} with a usage error naming the flag`, () => {
      let err: unknown;
      try {
        parseDevOptions({ ...defaults, ...raw });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(message);
    });
  }
});

describe('--retry-schedule', () => {
  it("takes Etsy's own schedule, or a list whose length is the number of attempts", () => {
    expect(parseDevOptions({ ...defaults, retrySchedule: 'etsy' })).toMatchObject({
      retrySchedule: [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      maxAttempts: 8,
    });
    expect(parseDevOptions({ ...defaults, retrySchedule: '0,100ms,1s' })).toMatchObject({ retrySchedule: [0, 100, 1000], maxAttempts: 3 });
    expect(parseDevOptions({ ...defaults, retrySchedule: '0,1m', maxAttempts: '4' })).toMatchObject({ retrySchedule: [0, 60_000], maxAttempts: 4 });
    expect(parseDevOptions(defaults).retrySchedule).toBeUndefined();
  });

  it('refuses a delay that is not one, naming the flag', () => {
    expect(() => parseDevOptions({ ...defaults, retrySchedule: '0,soon' })).toThrow(/--retry-schedule: 'soon'/);
    expect(() => parseDevOptions({ ...defaults, retrySchedule: '' })).toThrow(UsageError);
  });
});
