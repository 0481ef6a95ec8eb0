// events/: what etsyhook knows about Etsy's event types — the catalog (this file), realistic fixtures (fixtures.ts),
// `--set key.path=value` edits (set-path.ts), type globs (globs.ts), and which API resource an event names (resource.ts).
import { closeMatches as closeNames, editDistance } from '../../words.js';

/**
 * Where a type comes from: `etsy` documented by Etsy and delivered today; `announced` announced by Etsy for webhooks
 * (inventory and listing events, etsy/open-api discussion #1747) but not yet in its reference, names as announced
 * (a name also in the seed chapter is `announced`); `seed` from the seed chapter's receiver, not sent by Etsy.
 */
export type EventSource = 'etsy' | 'announced' | 'seed';

/** One line per source, for `events types`. */
export const SOURCE_NOTES: Readonly<Record<EventSource, string>> = {
  etsy: 'documented by Etsy and delivered by its webhooks today',
  announced:
    "announced by Etsy for webhooks (etsy/open-api discussion #1747); their payload fields are not yet in Etsy's reference: etsyhook sends Etsy's thin shape (event_type, resource_url, shop_id)",
  seed: "from the seed chapter's receiver; Etsy does not send these",
};

export interface EventType {
  name: string;
  source: EventSource;
  description: string;
  /** The API resource the event's resource_url names (`{shop_id}`, `{id}` filled in by the fixture). */
  resource?: 'receipt' | 'listing' | 'inventory';
}

export const EVENT_TYPES: readonly EventType[] = [
  { name: 'order.paid', source: 'etsy', resource: 'receipt', description: 'A buyer paid for an order (receipt); Etsy sends a thin payload with resource_url.' },
  { name: 'order.canceled', source: 'etsy', resource: 'receipt', description: 'An order was canceled.' },
  { name: 'order.shipped', source: 'etsy', resource: 'receipt', description: 'An order was marked as shipped.' },
  { name: 'order.delivered', source: 'etsy', resource: 'receipt', description: 'A shipped order was delivered.' },
  { name: 'inventory.created', source: 'announced', resource: 'inventory', description: "A listing's inventory was created (its offerings: quantity, price, SKU)." },
  { name: 'inventory.updated', source: 'announced', resource: 'inventory', description: "A listing's inventory changed (quantity, price or SKU of an offering)." },
  { name: 'inventory.deleted', source: 'announced', resource: 'inventory', description: "A listing's inventory was deleted." },
  { name: 'inventory.out_of_stock', source: 'announced', resource: 'inventory', description: "A listing's inventory ran out (no offering has quantity left)." },
  { name: 'listing.created', source: 'announced', resource: 'listing', description: 'A listing was created in the shop.' },
  { name: 'listing.updated', source: 'announced', resource: 'listing', description: 'A listing was edited (price, quantity, text, state).' },
  { name: 'listing.deleted', source: 'announced', resource: 'listing', description: 'A listing was deleted.' },
  { name: 'listing.activated', source: 'seed', description: 'A listing became active (visible to buyers).' },
  { name: 'listing.deactivated', source: 'seed', description: 'A listing was deactivated (sold out or expired).' },
  { name: 'receipt.created', source: 'seed', description: 'A new order receipt was created.' },
  { name: 'receipt.updated', source: 'seed', description: 'An order receipt changed (status, shipping).' },
  { name: 'shop.updated', source: 'seed', description: 'Shop settings changed.' },
];

/** A catalog entry as `events types --json` gives it: the payload's fields, and whether Etsy's reference documents them. */
export interface EventTypeEntry {
  name: string;
  source: EventSource;
  description: string;
  payloadFields: string[];
  payloadDocumented: boolean;
}

export function catalogEntries(): EventTypeEntry[] {
  return EVENT_TYPES.map(({ name, source, description }) => ({
    name,
    source,
    description: source === 'announced' ? `${description} Payload fields not yet in Etsy's reference.` : description,
    payloadFields: source === 'seed' ? ['event_type', 'resource_id', 'shop_id', 'timestamp'] : ['event_type', 'resource_url', 'shop_id'],
    payloadDocumented: source === 'etsy',
  }));
}

/** Names etsyhook once listed that Etsy never announced, and the name Etsy gives the event. Still accepted, with a warning. */
export const DEPRECATED_NAMES: Readonly<Record<string, string>> = {
  'listing.inventory.updated': 'inventory.updated',
  'listing.state.updated': 'listing.updated',
};

/** Etsy's name for a deprecated one, or undefined when `name` is not deprecated. */
export function replacementOf(name: string): string | undefined {
  return Object.hasOwn(DEPRECATED_NAMES, name) ? DEPRECATED_NAMES[name] : undefined;
}

/** The one wording of the deprecation warning, or undefined when `name` is not deprecated. */
export function deprecationWarning(name: string): string | undefined {
  const now = replacementOf(name);
  return now === undefined ? undefined : `'${name}' is deprecated: Etsy names this event '${now}'; write that (the old name is still accepted for now)`;
}

/**
 * Type names or globs as given, plus Etsy's name beside each deprecated one (so a filter or route written with the old
 * name matches both the events stored under it and Etsy's), with a warning for each.
 */
export function withCurrentNames(patterns: readonly string[]): { patterns: string[]; warnings: string[] } {
  const out: string[] = [];
  const warnings: string[] = [];
  for (const p of patterns) {
    out.push(p);
    const now = replacementOf(p);
    if (now !== undefined) {
      out.push(now);
      warnings.push(deprecationWarning(p)!);
    }
  }
  return { patterns: [...new Set(out)], warnings };
}

export const EVENT_TYPE_NAMES: readonly string[] = EVENT_TYPES.map((t) => t.name);

export function findEventType(name: string): EventType | undefined {
  return EVENT_TYPES.find((t) => t.name === name);
}

/** Plain names with each deprecated one replaced by Etsy's (what an Etsy API call needs), with a warning for each. */
export function toCurrentNames(names: readonly string[]): { names: string[]; warnings: string[] } {
  const warnings = names.map(deprecationWarning).filter((w): w is string => w !== undefined);
  return { names: [...new Set(names.map((n) => replacementOf(n) ?? n))], warnings };
}

/** A name etsyhook knows: one in the catalog, or a deprecated one. */
export function isKnownName(name: string): boolean {
  return findEventType(name) !== undefined || replacementOf(name) !== undefined;
}

/** Event type names close to `name`, best first (src/words.ts: the same for any list of names). */
export function closeMatches(name: string, candidates: readonly string[] = EVENT_TYPE_NAMES, max = 3): string[] {
  return closeNames(name, candidates, max);
}

export { editDistance };
