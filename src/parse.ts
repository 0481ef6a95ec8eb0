// The pure value parsers every flag, variable and query parameter goes through: raw text and the name to show in →
// a typed value out, or a UsageError (exit 2) in one line naming where the value came from and what to write.
// A leaf: it imports only errors (and the formatter leaf for its messages); commands/flags.ts wraps these in
// commander Options, the inspector calls them on query strings.
import { UsageError } from './errors.js';
import { formatDuration } from './format.js';

export interface IntRange {
  min?: number;
  max?: number;
}

/** A whole number within a range (min defaults to 0). */
export function parseInteger(raw: string, name: string, range: IntRange = {}): number {
  const min = range.min ?? 0;
  const s = raw.trim();
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || (range.max !== undefined && n > range.max)) {
    const span = range.max !== undefined ? ` from ${min} to ${range.max}` : ` of at least ${min}`;
    throw new UsageError(`${name} must be a whole number${span}, got '${raw}'`);
  }
  return n;
}

/** A TCP port: 0 (any free one) to 65535. */
export function parsePort(raw: string, name: string): number {
  return parseInteger(raw, name, { min: 0, max: 65535 });
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration in milliseconds: 500ms, 30s, 5m, 2h, 7d; a bare number is seconds. `min` is in ms. */
export function parseDuration(raw: string, name: string, options: { min?: number } = {}): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/i.exec(raw.trim());
  if (!m) throw new UsageError(`${name} must be a duration such as 500ms, 30s or 5m, got '${raw}'`);
  const ms = Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 's').toLowerCase()]!);
  const min = options.min ?? 0;
  if (ms < min) {
    throw new UsageError(min <= 1 ? `${name} must be more than zero, got '${raw}'` : `${name} must be at least ${formatDuration(min)}, got '${raw}'`);
  }
  return ms;
}

/** A point in the past: a duration back from now (30m, 2h, 7d) or a date (2026-01-31, ISO 8601); epoch ms. */
export function parseSince(raw: string, name: string, now = Date.now()): number {
  const s = raw.trim();
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/i.exec(s);
  if (m) return now - Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]!;
  const t = parseCalendarTime(s);
  if (t !== undefined) return t;
  throw new UsageError(`${name} must be a duration such as 30m, 2h or 7d, or a date that exists such as 2026-01-31, got '${raw}'`);
}

/** A size in bytes: 512kb, 1mb, 1MiB or 1048576; k, m and g are powers of 1024. */
export function parseSize(raw: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(raw.trim());
  if (!m) throw new UsageError(`${name} must be a size such as 512kb, 1mb or 1048576, got '${raw}'`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const n = Math.floor(Number(m[1]) * factor);
  if (n < 1) throw new UsageError(`${name} must be at least 1 byte, got '${raw}'`);
  return n;
}

/** An absolute URL with one of the given protocols (http and https by default). */
export function parseUrl(raw: string, name: string, protocols: readonly string[] = ['http:', 'https:']): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`${name} is not a valid URL: '${raw}'; write a full URL such as http://127.0.0.1:3000/webhooks`);
  }
  if (!protocols.includes(url.protocol)) {
    const names = protocols.map((p) => p.replace(/:$/, ''));
    throw new UsageError(`${name} must be ${names.length === 1 ? `an ${names[0]}` : `an ${names.join(' or ')}`} URL, got '${raw}'`);
  }
  return url;
}

/** One of a fixed set of words, any case. */
export function parseChoice<T extends string>(raw: string, name: string, choices: readonly T[]): T {
  const s = raw.trim().toLowerCase();
  if ((choices as readonly string[]).includes(s)) return s as T;
  throw new UsageError(`${name} must be one of ${choices.join(', ')}, got '${raw}'`);
}

/** A comma-separated list (arrays: a repeated flag), items trimmed, empty items dropped. */
export function splitList(raw: string | readonly string[] | undefined): string[] {
  if (raw === undefined) return [];
  const parts = typeof raw === 'string' ? raw.split(',') : raw.flatMap((r) => r.split(','));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** splitList for a flag given a value: one that names nothing (`--type ''`, `--type ,`) is a usage error, not "all". */
export function requiredList(raw: string | readonly string[], name: string): string[] {
  const parts = splitList(raw);
  if (parts.length === 0) throw new UsageError(`${name} is empty`, `give one or more values (comma-separated), or leave ${name} out`);
  return parts;
}

/** A date (2026-01-31, or ISO 8601 with a time) as epoch ms, only when the day exists (2026-02-30 does not). */
export function parseCalendarTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.parse(text);
  if (Number.isNaN(t)) return undefined;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return t;
}

/** A secret: anything but empty (an empty variable must not silently mean "use another secret"). */
export function parseSecret(raw: string, name: string): string {
  if (raw.trim() !== '') return raw;
  if (name.startsWith('--')) {
    throw new UsageError(`${name} is empty`, `pass the value itself, or leave ${name} out to use the environment or the stored one (is the variable you expanded unset?)`);
  }
  throw new UsageError(`${name} is set but empty`, `set it to the secret, or unset it (\`unset ${name}\`) to use the stored one`);
}

/** A URL path a receiver answers on: leading slash added; no query, fragment or space. */
export function parseWebhookPath(raw: string, name: string): string {
  const path = raw.trim();
  if (path === '' || /[?#\s]/.test(path)) throw new UsageError(`${name} must be a URL path such as /webhook, got '${raw}'`);
  return path.startsWith('/') ? path : `/${path}`;
}

/** A host name or address to listen on: not empty. */
export function parseHost(raw: string, name: string): string {
  const host = raw.trim();
  if (host === '') throw new UsageError(`${name} must not be empty`);
  return host;
}
