// events/: what etsyhook knows about Etsy's event types — the catalog (this file), realistic fixtures (fixtures.ts),
// `--set key.path=value` edits (set-path.ts), type globs (globs.ts), and which API resource an event names (resource.ts).

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
