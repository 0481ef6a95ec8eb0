// Suggestions for a name that was mistyped: "did you mean …?" for event types, scopes, route keys, config keys. A
// leaf: anything may use it (the Etsy client, the routes file, the commands) without reaching for the event catalog.

/**
 * Names close to `name`, best first: those within a small edit distance; failing that, those sharing the part before
 * the dot (`order` → the order.* events) or containing what was typed.
 */
export function closeMatches(name: string, candidates: readonly string[], max = 3): string[] {
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
