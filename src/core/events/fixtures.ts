// Realistic payloads for each event type: plausible ids, current timestamps, overridable field by field.
import { randomInt } from 'node:crypto';
import type { EventType } from './catalog.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface FixtureOptions {
  shopId?: number;
  /** Unix seconds; default now. */
  now?: number;
}

/** A plausible 8-digit Etsy shop id. */
export function randomShopId(): number {
  return randomInt(10_000_000, 60_000_000);
}

/** A plausible 10-digit receipt or listing id. */
export function randomResourceId(): number {
  return randomInt(1_000_000_000, 4_000_000_000);
}

/** A realistic payload for `type`: Etsy's thin order.* payloads, or the seed chapter's richer ones. */
export function buildFixture(type: EventType, options: FixtureOptions = {}): JsonObject {
  const shopId = options.shopId ?? randomShopId();
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const resourceId = randomResourceId();
  if (type.source === 'etsy') {
    return {
      event_type: type.name,
      resource_url: `https://api.etsy.com/v3/application/shops/${shopId}/receipts/${resourceId}`,
      shop_id: shopId,
    };
  }
  if (type.source === 'announced') {
    // Etsy's thin shape, pointing at the listing.
    return {
      event_type: type.name,
      resource_url: `https://api.etsy.com/v3/application/shops/${shopId}/listings/${resourceId}`,
      shop_id: shopId,
    };
  }
  return { event_type: type.name, resource_id: resourceId, shop_id: shopId, timestamp: now };
}
