// How every table and detail view shows a time: the machine's local zone, 2026-01-31 14:03:22.
export function localTime(at: string | number, options: { seconds?: boolean } = {}): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  const p = (n: number): string => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${day} ${p(d.getHours())}:${p(d.getMinutes())}${options.seconds === false ? '' : `:${p(d.getSeconds())}`}`;
}

