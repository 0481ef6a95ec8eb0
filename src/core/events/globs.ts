// Event-type globs (`order.*`, `listing.?reated`) and comma-separated flag lists.
import { UsageError } from '../../errors.js';

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

/** splitList for a flag given a value: one that names nothing (`--type ''`, `--type ,`) is a usage error, not "all". */
export function requiredList(raw: string | string[], name: string): string[] {
  const parts = splitList(raw);
  if (parts.length === 0) throw new UsageError(`${name} is empty`, `give one or more values (comma-separated), or leave ${name} out`);
  return parts;
}
