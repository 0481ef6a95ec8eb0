// The retry policy: when each delivery attempt of an event goes, and when the event is dead. Shared by `dev`'s
// forwarding, routes and the Redis worker, so "retry in 5 min" means the same everywhere.

import { UsageError } from '../../errors.js';
import { duration } from '../../format.js';

/** Etsy's own schedule for its deliveries: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (delay before each attempt). */
export const ETSY_RETRY_SCHEDULE_MS: readonly number[] = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** dev's default: a restarting app gets minutes, not seconds (at once, 2 s, 10 s, 1 min, 5 min). */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [0, 2_000, 10_000, 60_000, 300_000];

/** A --retry-schedule (or a route's) that is not one; callers name the flag or the file. */
export class RetryScheduleError extends UsageError {}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `etsy`, or a comma-separated list of delays before each attempt (`0,100ms,1s,5m`; a bare number is seconds).
 * The list's length is the number of attempts; the first delay is normally 0.
 */
export function parseRetrySchedule(raw: string): number[] {
  const text = raw.trim().toLowerCase();
  if (text === 'etsy') return [...ETSY_RETRY_SCHEDULE_MS];
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw new RetryScheduleError(`a retry schedule is 'etsy' or a list of delays such as 0,5s,5m, got '${raw}'`);
  }
  return parts.map((p) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|min|h|d)?$/.exec(p);
    if (!m) throw new RetryScheduleError(`'${p}' in the retry schedule is not a delay such as 0, 100ms, 5s, 5m or 2h`);
    return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']!);
  });
}

/**
 * The delay before attempt `next` (1-based) of an event, with jitter (±10%, never negative), or undefined when the
 * schedule allows no such attempt (the event is dead). `maxAttempts` beyond the list repeats its last delay.
 */
export function delayBefore(schedule: readonly number[], next: number, maxAttempts = schedule.length, random: () => number = Math.random): number | undefined {
  if (next > maxAttempts || schedule.length === 0) return undefined;
  const base = schedule[Math.min(next, schedule.length) - 1]!;
  if (base === 0) return 0;
  return Math.max(0, Math.round(base * (0.9 + random() * 0.2)));
}

/** A schedule in words for banners and help: "at once, 2 s, 10 s, 1 min, 5 min". */
export function describeSchedule(schedule: readonly number[]): string {
  return schedule.map((ms) => (ms === 0 ? 'at once' : duration(ms))).join(', ');
}

