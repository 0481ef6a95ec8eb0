// Which Etsy API resource a stored event is about, for `events show --expand`.
import { bodyBytes, type ReceivedRecord } from './record.js';

/**
 * The API URL (or /v3 path) of the resource an event names: Etsy's order.* events carry resource_url; the seed
 * chapter's events carry resource_id and shop_id, from which the listing, receipt or shop path follows.
 */
export function resourceUrlOf(record: ReceivedRecord): string | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(bodyBytes(record).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  if (typeof p.resource_url === 'string' && p.resource_url !== '') return p.resource_url;
  const type = typeof p.event_type === 'string' ? p.event_type : record.type;
  const id = idOf(p.resource_id);
  const shop = idOf(p.shop_id);
  if (type?.startsWith('listing.') && id !== undefined) return `/v3/application/listings/${id}`;
  if (type?.startsWith('receipt.') && id !== undefined && shop !== undefined) return `/v3/application/shops/${shop}/receipts/${id}`;
  if (type === 'shop.updated' && shop !== undefined) return `/v3/application/shops/${shop}`;
  return undefined;
}

function idOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return String(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return v;
  return undefined;
}
