import { describe, expect, it } from 'vitest';
import { parseRouteFlag } from '../src/core/delivery/routes.js';
import { messageText } from '../src/core/delivery/targets.js';
import { closeMatches, EVENT_TYPES, findEventType, toCurrentNames, withCurrentNames } from '../src/core/events/catalog.js';
import { buildFixture } from '../src/core/events/fixtures.js';
import { typeMatcher } from '../src/core/events/globs.js';
import { applySet, parseSetValue, SetSyntaxError } from '../src/core/events/set-path.js';
import { received } from './support/fixtures.js';

describe('event catalog', () => {
  it('builds Etsy\'s thin order payloads with a resource_url on the same shop', () => {
    const f = buildFixture(findEventType('order.paid')!, { shopId: 12345678 });
    expect(Object.keys(f).sort()).toEqual(['event_type', 'resource_url', 'shop_id']);
    expect(f.resource_url).toMatch(/^https:\/\/api\.etsy\.com\/v3\/application\/shops\/12345678\/receipts\/\d{10}$/);
  });

  it('builds the seed chapter\'s payloads with a current unix timestamp and distinct resource ids', () => {
    const now = Math.floor(Date.now() / 1000);
    const a = buildFixture(findEventType('listing.activated')!);
    const b = buildFixture(findEventType('listing.activated')!);
    expect(a).toMatchObject({ event_type: 'listing.activated' });
    expect(Math.abs((a.timestamp as number) - now)).toBeLessThan(5);
    expect(a.resource_id).not.toBe(b.resource_id);
    expect(EVENT_TYPES.filter((t) => t.source === 'seed')).toHaveLength(5);
  });

  it('parses --set values as numbers, booleans, null and strings, along dot paths', () => {
    const target = { event_type: 'order.paid', shop_id: 1 } as Record<string, unknown> as Parameters<typeof applySet>[0];
    applySet(target, 'shop_id=987');
    applySet(target, 'buyer.vip=true');
    applySet(target, 'buyer.note=hello=world');
    applySet(target, 'gift=null');
    applySet(target, 'code=007');
    expect(target).toEqual({ event_type: 'order.paid', shop_id: 987, buyer: { vip: true, note: 'hello=world' }, gift: null, code: '007' });
    expect(parseSetValue('1.5')).toBe(1.5);
    expect(parseSetValue('12345678901234567890')).toBe('12345678901234567890');
    expect(() => applySet(target, 'novalue')).toThrow(SetSyntaxError);
    expect(() => applySet(target, 'a..b=1')).toThrow(SetSyntaxError);
  });

  it('matches type globs and suggests close names', () => {
    const m = typeMatcher(['order.*', 'shop.updated']);
    expect(m('order.paid')).toBe(true);
    expect(m('shop.updated')).toBe(true);
    expect(m('listing.created')).toBe(false);
    expect(m(undefined)).toBe(false);
    expect(typeMatcher([])('anything')).toBe(true);
    expect(closeMatches('order.payed')).toEqual(['order.paid']);
    expect(closeMatches('order')).toHaveLength(3);
    expect(closeMatches('order').every((n) => n.startsWith('order.'))).toBe(true);
  });
});

describe("Etsy's names, and the old invented ones", () => {
  it('a route, filter or --events written with an old name matches both it and Etsy\'s name, with a deprecation warning', () => {
    const warnings: string[] = [];
    const route = parseRouteFlag('listing.inventory.updated=http://127.0.0.1:9/x', {}, '/', warnings);
    expect(route.matches('inventory.updated')).toBe(true);
    expect(route.matches('listing.inventory.updated')).toBe(true);
    expect(route.matches('inventory.deleted')).toBe(false);
    expect(warnings).toEqual([
      "--route 'listing.inventory.updated=http://127.0.0.1:9/x': 'listing.inventory.updated' is deprecated: Etsy names this event 'inventory.updated'; write that (the old name is still accepted for now)",
    ]);
    expect(withCurrentNames(['order.*', 'listing.state.updated'])).toEqual({
      patterns: ['order.*', 'listing.state.updated', 'listing.updated'],
      warnings: [expect.stringContaining("'listing.state.updated' is deprecated: Etsy names this event 'listing.updated'")],
    });
    // An Etsy API call (configs create) gets Etsy's name only.
    expect(toCurrentNames(['listing.inventory.updated', 'inventory.updated']).names).toEqual(['inventory.updated']);
  });

  it('{{listing_id}} and the resource come from resource_url, for listing.* and inventory.* alike', () => {
    for (const type of ['listing.updated', 'inventory.out_of_stock']) {
      const fixture = buildFixture(findEventType(type)!, { shopId: 12345678 });
      const event = received({ type, bytes: Buffer.from(JSON.stringify(fixture)) });
      const id = /\/listings\/(\d+)/.exec(String(fixture.resource_url))![1];
      expect(messageText({ template: '{{type}} {{shop_id}} {{listing_id}} {{receipt_id}}' }, event)).toBe(`${type} 12345678 ${id} -`);
      expect(messageText({}, event)).toBe(`Etsy ${type} · shop 12345678 · listing ${id} · ${String(fixture.resource_url)}`);
    }
  });
});
