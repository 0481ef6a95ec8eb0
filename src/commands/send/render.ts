// What send shows: the request and answer (stderr), the --json objects (stdout), a batch's summary table.
import type { BatchSummary, Delivery, PreparedEvent } from '../../core/delivery/sender.js';
import { duration, plural } from '../../format.js';
import type { Output } from '../../ui/output.js';

const SHOWN_BODY_CHARS = 2000;

export function progressText(s: BatchSummary, planned: number): string {
  const parts = [...Object.entries(s.httpStatuses).map(([k, n]) => `${k}: ${n}`), ...Object.entries(s.errors).map(([k, n]) => `${k}: ${n}`)];
  return `${s.count}/${planned} sent in ${duration(s.elapsedMs)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}


export function jsonRequest(event: PreparedEvent, url: URL): { event: unknown; request: unknown } {
  return {
    event: { type: event.type, scheme: event.scheme, id: event.id ?? null, timestamp: event.timestamp, payload: event.payload },
    request: { method: 'POST', url: url.href, headers: event.headers },
  };
}

export function jsonResponse(d: Delivery): unknown {
  // The record schema: status is the outcome word (delivered: a 2xx), httpStatus the code answered.
  const status = d.duplicate ? 'duplicate' : d.status >= 200 && d.status < 300 ? 'delivered' : 'failed';
  return { status, httpStatus: d.status, ms: d.ms, headers: d.headers, body: d.body, ...(d.truncated ? { truncated: true } : {}), duplicate: d.duplicate };
}

/** Headers that carry credentials: shown masked under --verbose. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);

export function headerLines(arrow: string, headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${arrow} ${k}: ${CREDENTIAL_HEADERS.has(k.toLowerCase()) ? maskValue(v) : v}`)
    .join('\n');
}

function maskValue(v: string): string {
  return v.length <= 8 ? '•'.repeat(v.length) : `${v.slice(0, 4)}…${'•'.repeat(4)}`;
}



export function colourStatus(out: Output, status: number): string {
  if (status >= 200 && status < 300) return out.c.green(String(status));
  if (status >= 500) return out.c.red(String(status));
  return out.c.yellow(String(status));
}

export function shorten(body: string, truncated?: boolean): string {
  const text = body.replace(/\s+$/, '');
  if (text.length <= SHOWN_BODY_CHARS) return truncated ? `${text}… (longer than 64 KiB; cut there)` : text;
  return `${text.slice(0, SHOWN_BODY_CHARS)}… (${text.length - SHOWN_BODY_CHARS} more characters; --json shows ${truncated ? 'the first 64 KiB' : 'all'})`;
}

export function printSummary(out: Output, s: BatchSummary): void {
  out.info(`<-- ${plural(s.count, 'request')} in ${duration(s.elapsedMs)} (${s.rate}/s)${s.interrupted ? `, interrupted after ${s.count} of ${s.planned}` : ''}`);
  // Duplicates are 2xx answers, but not deliveries: a row of their own, taken out of their status's count.
  let dupes = s.duplicates;
  const rows: [string, string, number][] = [
    ...Object.entries(s.httpStatuses)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([k, n]): [string, string, number] => {
        const taken = Number(k) >= 200 && Number(k) < 300 ? Math.min(n, dupes) : 0;
        dupes -= taken;
        return [k, colourStatus(out, Number(k)), n - taken];
      })
      .filter(([, , n]) => n > 0),
    ...(s.duplicates > 0 ? [['duplicate', out.c.yellow('duplicate'), s.duplicates] as [string, string, number]] : []),
    ...Object.entries(s.errors).map(([k, n]): [string, string, number] => [k, out.c.red(k), n]),
  ];
  // Pad the plain label: colour codes would throw padEnd off.
  for (const [plain, coloured, n] of rows) out.info(`    ${coloured}${' '.repeat(Math.max(1, 11 - plain.length))}${n}`);
  if (s.ms !== null) out.info(`    p50 ${s.ms.p50} ms · p99 ${s.ms.p99} ms · max ${s.ms.max} ms`);
}

