// events/: what etsyhook knows about Etsy's event types — the catalog (this file), realistic fixtures (fixtures.ts),
// `--set key.path=value` edits (set-path.ts), type globs (globs.ts), and which API resource an event names (resource.ts).
import { closeMatches as closeNames, editDistance } from '../../words.js';

/**
 * Where a type comes from: `etsy` documented by Etsy and delivered today; `announced` announced by Etsy for webhooks
 * (inventory and listing events, etsy/open-api discussion #1747) but not yet in its reference, names as announced;
 * `seed` from the seed chapter's receiver, not sent by Etsy.
 */
export type EventSource = 'etsy' | 'announced' | 'seed';

/** One line per source, for `events types`. */
export const SOURCE_NOTES: Readonly<Record<EventSource, string>> = {
  etsy: "documented by Etsy and delivered by its webhooks today",
  announced: "announced by Etsy for webhooks (etsy/open-api discussion #1747), not yet in its reference: names may change",
  seed: "from the seed chapter's receiver; Etsy does not send these",
};

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
  { name: 'listing.inventory.updated', source: 'announced', description: "A listing's inventory changed (quantity, price or SKU of an offering)." },
  { name: 'listing.state.updated', source: 'announced', description: 'A listing changed state (active, inactive, sold out, expired).' },
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

/** Event type names close to `name`, best first (src/words.ts: the same for any list of names). */
export function closeMatches(name: string, candidates: readonly string[] = EVENT_TYPE_NAMES, max = 3): string[] {
  return closeNames(name, candidates, max);
}

export { editDistance };
