// The option parsers every command shares, on commander's Option API: integers with ranges, durations, sizes, URLs,
// schemes, lists and globs, statuses, secrets. Each parser turns raw text into a typed value or throws a UsageError
// (exit 2) in one line naming where the value came from (the flag, or its environment variable) and what to write.
import type { EventEmitter } from 'node:events';
import { Option, type Command } from './commander.js';
import { UsageError } from '../errors.js';
import { requiredList } from '../core/events/globs.js';
import { parseCalendarTime } from '../ui/time.js';
import { EVENT_STATUSES, type EventStatus } from '../core/log/records.js';
import { SCHEMES, type Scheme } from '../core/receive/signature.js';

// ---------------------------------------------------------------------------------------------------------------
// Pure parsers: (raw text, the name to show) → value. Tested in-process; the Option factories below wrap them.

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

/** A signature scheme, any case. */
export function parseScheme(raw: string, name = '--scheme'): Scheme {
  const s = raw.trim().toLowerCase();
  if ((SCHEMES as readonly string[]).includes(s)) return s as Scheme;
  throw new UsageError(`${name} must be one of ${SCHEMES.join(', ')}, got '${raw}'`);
}

export const STATUS_HELP = EVENT_STATUSES.join(', ');

/** Event statuses, comma-separated, any case. */
export function parseStatuses(raw: string | readonly string[], name = '--status'): EventStatus[] {
  const statuses = requiredList(typeof raw === 'string' ? raw : [...raw], name).map((s) => s.toLowerCase());
  for (const s of statuses) {
    if (!(EVENT_STATUSES as readonly string[]).includes(s)) throw new UsageError(`${name} must be one of ${STATUS_HELP}; got '${s}'`);
  }
  return statuses as EventStatus[];
}

/** A secret: anything but empty (an empty variable must not silently mean "use another secret"). */
export function parseSecret(raw: string, name: string): string {
  if (raw.trim() !== '') return raw;
  if (name.startsWith('--')) {
    throw new UsageError(`${name} is empty`, `pass the value itself, or leave ${name} out to use the environment or the stored one (is the variable you expanded unset?)`);
  }
  throw new UsageError(`${name} is set but empty`, `set it to the secret, or unset it (\`unset ${name}\`) to use the stored one`);
}

/** Readable form of a duration default: 30s, 5m, 2h, 500ms. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Readable form of a size default: 1mb, 256kb, 100b. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}mb`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return `${bytes}b`;
}

// ---------------------------------------------------------------------------------------------------------------
// Options. Each is a commander Option whose argParser calls a parser above with the name of where the value came from.

/** Where each option's value being parsed came from: its long flag, or its environment variable. */
const origins = new WeakMap<Option, string>();

/** An option whose value goes through `parse(raw, where it came from, the previous value)`. */
export function parsedOption<T>(flags: string, description: string, parse: (raw: string, name: string, previous: T | undefined) => T): Option {
  const option = new Option(flags, description);
  option.argParser<T>((raw, previous) => parse(raw, origins.get(option) ?? option.long ?? option.name(), previous));
  return option;
}

/**
 * Make the parsers of `cmd`'s env-backed options name the variable when the value came from it. Commander emits
 * `option:<name>` for a flag and `optionEnv:<name>` for a variable before parsing; listen first to both.
 */
export function trackOrigins(cmd: Command): void {
  // Command is an EventEmitter at run time; its typings only declare on().
  const emitter = cmd as unknown as EventEmitter;
  for (const option of cmd.options) {
    if (option.envVar === undefined) continue;
    const name = option.name();
    emitter.prependListener(`option:${name}`, () => origins.set(option, option.long ?? name));
    emitter.prependListener(`optionEnv:${name}`, () => origins.set(option, option.envVar!));
  }
}

export function intOption(flags: string, description: string, range: IntRange = {}): Option {
  return parsedOption(flags, description, (raw, name) => parseInteger(raw, name, range));
}

export function durationOption(flags: string, description: string, options: { min?: number } = {}): Option {
  return parsedOption(flags, description, (raw, name) => parseDuration(raw, name, options));
}

export function sinceOption(flags: string, description: string): Option {
  return parsedOption(flags, description, (raw, name) => parseSince(raw, name));
}

export function sizeOption(flags: string, description: string): Option {
  return parsedOption(flags, description, (raw, name) => parseSize(raw, name));
}

export function urlOption(flags: string, description: string, protocols?: readonly string[]): Option {
  return parsedOption(flags, description, (raw, name) => parseUrl(raw, name, protocols));
}

export function schemeOption(flags: string, description: string): Option {
  const option = parsedOption(flags, description, (raw, name) => parseScheme(raw, name));
  // Shown in help as "(choices: …)"; the parser above accepts any case, which commander's own choices() would not.
  option.argChoices = [...SCHEMES];
  return option;
}

/** A repeatable, comma-separated list (`--type order.*,listing.created --type shop.updated`); empty items dropped,
 *  an empty value (`--type ''`) a usage error. */
export function listOption(flags: string, description: string): Option {
  return parsedOption<string[]>(flags, description, (raw, name, previous) => [...(previous ?? []), ...requiredList(raw, name)]);
}

export function statusOption(flags: string, description: string): Option {
  return parsedOption<EventStatus[]>(flags, description, (raw, name, previous) => [...(previous ?? []), ...parseStatuses(raw, name)]);
}

export function secretOption(flags: string, description: string, envVar: string): Option {
  return parsedOption(flags, description, (raw, name) => parseSecret(raw, name)).env(envVar);
}

/** Where an option's value came from, for messages: the flag, the variable, or undefined when not given. */
export function sourceOf(cmd: Command, key: string, option: { flag: string; env?: string }): string | undefined {
  const source = cmd.getOptionValueSource(key);
  if (source === 'cli') return option.flag;
  if (source === 'env') return option.env;
  return undefined;
}
