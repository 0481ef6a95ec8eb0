// Counts, sizes, durations and times as a person reads them, for every message and table: one place, so `5 min`
// reads the same everywhere. A leaf: imports nothing (the parsers in parse.ts and the terminal's lines use it alike).

/** `1 event`, `2 events`; `pluralWord` for irregular words (`1 delivery`, `2 deliveries`). */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** 1 byte, 512 bytes, 1.5 KiB, 1 MiB, 2.3 GiB. */
export function bytesInWords(n: number): string {
  if (n < 1024) return plural(n, 'byte');
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${+v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** A duration as a flag value: 30s, 5m, 2h, 500ms (the form the parsers read back). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A size as a flag value: 1mb, 256kb, 100b. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}mb`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return `${bytes}b`;
}

/** A duration or a wait in words: 800 ms, 4.2 s, 3.5 min, 2 h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}

/** How long a request took: 12 ms, 1.2 s, 14 s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** How long ago `t` was, from `now`: 5 s ago, 3 min ago, 2 h ago, 4 days ago. */
export function formatAgo(t: number, now: number): string {
  const s = Math.round((now - t) / 1000);
  if (Number.isNaN(s)) return '?';
  if (s < 0) return 'in the future';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

/** Etsy's waits as its API states them: 400 ms, 1s, 1.5s, 3600s (Retry-After is in seconds). */
export function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}

/** When a token expires, from now: in 45 min, in 3 h, 2 days ago; refreshed on the next call. */
export function formatUntil(at: number, now = Date.now()): string {
  const diff = at - now;
  const mins = Math.round(Math.abs(diff) / 60_000);
  const span = mins < 120 ? `${mins} min` : mins < 2880 ? `${Math.round(mins / 60)} h` : `${Math.round(mins / 1440)} days`;
  return diff >= 0 ? `in ${span}` : `${span} ago; refreshed on the next call`;
}
