// How every table and detail view shows a time: the machine's local zone, 2026-01-31 14:03:22.
export function localTime(at: string | number, options: { seconds?: boolean } = {}): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  const p = (n: number): string => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${day} ${p(d.getHours())}:${p(d.getMinutes())}${options.seconds === false ? '' : `:${p(d.getSeconds())}`}`;
}

/**
 * A date a user typed (`2026-01-31`, `2026-01-31T14:00`, with seconds or a zone), in ms; undefined when it is not one
 * or names a day that does not exist: JavaScript rolls 2026-02-30 over to 2 March, so the day must round-trip.
 */
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
