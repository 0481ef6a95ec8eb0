// Latency figures shared by `send --count` and `replay` summaries.

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** p50, p99 and max of answered requests' times (ms), or null when none answered. */
export function latency(times: number[]): { p50: number; p99: number; max: number } | null {
  if (times.length === 0) return null;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times[times.length - 1]! };
}
