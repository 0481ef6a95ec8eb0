// The event types etsyhook knows, with realistic fixture builders, and the glob matching used by filters.
import { randomInt } from 'node:crypto';

export type EventSource = 'etsy' | 'seed';

export interface EventType {
  name: string;
  source: EventSource;
  description: string;
}

export const EVENT_TYPES: readonly EventType[] = [
  { name: 'order.paid', source: 'etsy', description: 'A buyer paid for an order (receipt); Etsy sends a thin payload with resource_url.' },
  { name: 'order.canceled', source: 'etsy', description: 'An order was canceled.' },
  { name: 'order.shipped', source: 'etsy', description: 'An order was marked as shipped.' },
  { name: 'order.delivered', source: 'etsy', description: 'A shipped order was delivered.' },
  { name: 'listing.created', source: 'seed', description: 'A listing was created in the shop.' },
  { name: 'listing.updated', source: 'seed', description: 'A listing was edited (price, quantity, text).' },
  { name: 'listing.deleted', source: 'seed', description: 'A listing was deleted.' },
  { name: 'listing.activated', source: 'seed', description: 'A listing became active (visible to buyers).' },
  { name: 'listing.deactivated', source: 'seed', description: 'A listing was deactivated (sold out or expired).' },
  { name: 'receipt.created', source: 'seed', description: 'A new order receipt was created.' },
  { name: 'receipt.updated', source: 'seed', description: 'An order receipt changed (status, shipping).' },
  { name: 'shop.updated', source: 'seed', description: 'Shop settings changed.' },
];

export const EVENT_TYPE_NAMES: readonly string[] = EVENT_TYPES.map((t) => t.name);

export function findEventType(name: string): EventType | undefined {
  return EVENT_TYPES.find((t) => t.name === name);
}

/**
 * Names close to `name`, best first: those within a small edit distance; failing that, those sharing the part before
 * the dot (`order` → the order.* events) or containing what was typed.
 */
export function closeMatches(name: string, candidates: readonly string[] = EVENT_TYPE_NAMES, max = 3): string[] {
  const typed = name.toLowerCase();
  const scored = candidates.map((c) => ({ c, d: editDistance(typed, c) })).sort((a, b) => a.d - b.d);
  const near = scored.filter(({ d }) => d <= Math.max(2, Math.floor(typed.length / 4)));
  if (near.length > 0) return near.slice(0, max).map(({ c }) => c);
  const prefix = typed.split('.')[0] ?? typed;
  return scored
    .filter(({ c }) => c.split('.')[0] === prefix || (typed.length >= 3 && c.includes(typed)))
    .slice(0, max)
    .map(({ c }) => c);
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

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
  return { event_type: type.name, resource_id: resourceId, shop_id: shopId, timestamp: now };
}

/** Parse a `--set` value: numbers, booleans and null as such, JSON objects/arrays as JSON, strings otherwise. */
export function parseSetValue(raw: string): Json {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(raw)) {
    const n = Number(raw);
    if (Number.isSafeInteger(n) || !Number.isInteger(n)) return n;
  }
  if ((raw.startsWith('{') && raw.endsWith('}')) || (raw.startsWith('[') && raw.endsWith(']'))) {
    try {
      return JSON.parse(raw) as Json;
    } catch {
      /* not JSON: keep it as a string */
    }
  }
  return raw;
}

export class SetSyntaxError extends Error {}

/** Apply `key.path=value` to `target` (mutates and returns it). */
export function applySet(target: JsonObject, assignment: string): JsonObject {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new SetSyntaxError(`--set expects key=value (dot paths allowed, e.g. shop_id=123), got '${assignment}'`);
  const path = assignment.slice(0, eq).split('.');
  if (path.some((p) => p === '')) throw new SetSyntaxError(`--set has an empty key segment in '${assignment.slice(0, eq)}'`);
  const value = parseSetValue(assignment.slice(eq + 1));
  let node: JsonObject = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
      const fresh: JsonObject = {};
      node[key] = fresh;
      node = fresh;
    } else {
      node = next;
    }
  }
  node[path[path.length - 1]!] = value;
  return target;
}

/** A predicate for a list of globs such as `order.*,listing.created`; an empty list matches everything. */
export function typeMatcher(patterns: readonly string[]): (type: string | undefined) => boolean {
  const cleaned = patterns.map((p) => p.trim()).filter((p) => p !== '');
  if (cleaned.length === 0) return () => true;
  const regexes = cleaned.map(
    (p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`),
  );
  return (type) => type !== undefined && regexes.some((r) => r.test(type));
}

/** Split a comma-separated flag value into trimmed, non-empty parts. */
export function splitList(raw: string | string[] | undefined): string[] {
  if (raw === undefined) return [];
  const parts = Array.isArray(raw) ? raw.flatMap((r) => r.split(',')) : raw.split(',');
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}
