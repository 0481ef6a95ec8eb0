// Event-type globs (`order.*`, `listing.?reated`).
/** A predicate for a list of globs such as `order.*,listing.created`; an empty list matches everything. */
export function typeMatcher(patterns: readonly string[]): (type: string | undefined) => boolean {
  const cleaned = patterns.map((p) => p.trim()).filter((p) => p !== '');
  if (cleaned.length === 0) return () => true;
  const regexes = cleaned.map(
    (p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`),
  );
  return (type) => type !== undefined && regexes.some((r) => r.test(type));
}

