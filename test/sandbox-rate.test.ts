// The sandbox's rate-limit headers and --rate-limit values, in-process (the e2e tests see them over HTTP).
import { describe, expect, it } from 'vitest';
import { ETSY_RATE_LIMIT, parseRateLimit, RateCounter } from '../src/sandbox/rate.js';

describe('sandbox rate limits', () => {
  it('parses 10/s,10000/d, either part alone, and refuses anything else', () => {
    expect(parseRateLimit('5/s,200/d')).toEqual({ perSecond: 5, perDay: 200 });
    expect(parseRateLimit('3/s')).toEqual({ ...ETSY_RATE_LIMIT, perSecond: 3 });
    expect(parseRateLimit('50/d')).toEqual({ ...ETSY_RATE_LIMIT, perDay: 50 });
    for (const bad of ['fast', '0/s', '10/m', '10', '']) expect([bad, parseRateLimit(bad)]).toEqual([bad, undefined]);
  });

  it('counts down each second and each UTC day, and refuses past the limit only when enforcing', () => {
    const t0 = Date.UTC(2026, 0, 1, 23, 59, 59, 100);
    const shown = new RateCounter({ perSecond: 2, perDay: 3 }, false);
    const remaining = [t0, t0, t0, t0 + 1000].map((t) => shown.take(t));
    expect(remaining.map((r) => [r.headers['x-remaining-this-second'], r.headers['x-remaining-today'], r.retryAfter])).toEqual([
      ['1', '2', undefined],
      ['0', '1', undefined],
      ['0', '0', undefined],
      ['1', '2', undefined], // a new second and a new UTC day
    ]);
    const enforced = new RateCounter({ perSecond: 1, perDay: 100 }, true);
    expect(enforced.take(t0).retryAfter).toBeUndefined();
    expect(enforced.take(t0).retryAfter).toBe(1);
    const daily = new RateCounter({ perSecond: 100, perDay: 1 }, true);
    daily.take(t0);
    expect(daily.take(t0).retryAfter).toBe(1); // 0.9 s to midnight UTC, rounded up
  });
});
