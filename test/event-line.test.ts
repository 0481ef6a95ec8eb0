// The one-line look of stored records (dev, tail, replay, events show): every attempt says its outcome.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { parseRouteFlag } from '../src/core/delivery/routes.js';
import { formatEventLine } from '../src/ui/event-line.js';
import { routeTable } from '../src/ui/route-table.js';
import { delivery, received } from './support/fixtures.js';

const plain = new Chalk({ level: 0 });

describe('delivery lines', () => {
  it('a successful exec: attempt (no HTTP code) says delivered; an HTTP one its code; a failed exec its error', () => {
    const ev = received({ type: 'listing.created' });
    const { httpStatus: _none, ...execOk } = delivery(ev, { target: 'exec:./sync.sh', route: 'listing.*=exec:./sync.sh', ms: 11 });
    expect(formatEventLine(execOk, plain, { type: 'listing.created' })).toMatch(/ {3}→ delivered 11 ms {2}listing\.created {2}evt_\w+ {2}\(exec:\.\/sync\.sh\)$/);
    expect(formatEventLine(delivery(ev, { ms: 12 }), plain, { type: 'listing.created' })).toMatch(/→ 200 12 ms {2}listing\.created/);
    const { httpStatus: _n, ...execFailed } = delivery(ev, { target: 'exec:./sync.sh', status: 'failed', error: 'exit 3' });
    expect(formatEventLine(execFailed, plain, { type: 'listing.created' })).toMatch(/→ exit 3 {2}listing\.created .* attempt 1, failed/);
  });
});

describe('counts in words', () => {
  it("the route table says '1 attempt', not '1 attempts'", () => {
    const routes = [parseRouteFlag('order.*=http://127.0.0.1:9/o', {}, '/'), { ...parseRouteFlag('*=http://127.0.0.1:9/a', {}, '/'), maxAttempts: 3 }];
    const [one, three] = routeTable(routes, plain, { timeoutMs: 30_000, maxAttempts: 1 });
    expect(one).toMatch(/\(timeout 30 s, 1 attempt\)$/);
    expect(three).toMatch(/\(timeout 30 s, 3 attempts\)$/);
  });
});
