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

/** A realistic payload for `type`: Etsy's thin shape (event_type, resource_url, shop_id), or the seed chapter's richer one. */
export function buildFixture(type: EventType, options: FixtureOptions = {}): JsonObject {
  const shopId = options.shopId ?? randomShopId();
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const resourceId = randomResourceId();
  if (type.resource !== undefined || type.source !== 'seed') {
    return { event_type: type.name, resource_url: resourceUrlFor(type.resource ?? 'receipt', shopId, resourceId), shop_id: shopId };
  }
  return { event_type: type.name, resource_id: resourceId, shop_id: shopId, timestamp: now };
}

/** Etsy's API URL of a receipt (under its shop), a listing, or a listing's inventory. */
export function resourceUrlFor(resource: 'receipt' | 'listing' | 'inventory', shopId: number, id: number): string {
  const base = 'https://api.etsy.com/v3/application';
  if (resource === 'receipt') return `${base}/shops/${shopId}/receipts/${id}`;
  return `${base}/listings/${id}${resource === 'inventory' ? '/inventory' : ''}`;
}
