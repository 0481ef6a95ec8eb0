// One line per stored record, the look of `etsyhook dev`'s own lines, built from the record alone so that `tail`,
// `replay` and `events show` (and `dev`, if it likes) print the same thing:
//   14:03:22  accepted  200  order.paid        evt_4k2j9x0q1m3n5b7v
//   14:03:22  rejected  401  order.paid        evt_8d0c2kq1m3n5b7vx  stale timestamp: signed 400 s ago
//   14:03:23    → 200 12 ms  order.paid  evt_4k2j9x0q1m3n5b7v
//   14:03:23    → connection refused  order.paid  evt_4k2j9x0q1m3n5b7v  attempt 2, failed
import type { ChalkInstance } from 'chalk';
import type { DeliveryRecord, ReceivedRecord, StoreRecord } from '../core/log/records.js';

export interface EventLineOptions {
  /** The event's type, for a delivery line (delivery records do not carry it). */
  type?: string;
  /** Show the date as well as the time (for events older than today). */
  date?: boolean;
  /** Name the delivery target (when attempts went to more than one place). */
  target?: boolean;
}

/** One human line for a received request or a delivery attempt; no trailing newline. */
export function formatEventLine(record: StoreRecord, c: ChalkInstance, options: EventLineOptions = {}): string {
  return record.kind === 'received' ? receivedLine(record, c, options) : deliveryLine(record, c, options);
}

function receivedLine(rec: ReceivedRecord, c: ChalkInstance, options: EventLineOptions): string {
  const label = rec.verdict.padEnd(9);
  const verdict =
    rec.verdict === 'accepted' ? c.green(label) : rec.verdict === 'rejected' ? c.red(label) : rec.verdict === 'duplicate' ? c.yellow(label) : c.dim(label);
  const where = rec.method === 'POST' ? '' : `${rec.method} ${rec.path}  `;
  const reason = rec.verdict !== 'accepted' && rec.reason ? c.dim(rec.reason) : '';
  const status = rec.status === undefined ? '' : `${rec.status < 300 ? c.green(String(rec.status)) : c.red(String(rec.status))}  `;
  return `${stamp(rec.at, c, options)}  ${verdict} ${status}${(rec.type ?? '-').padEnd(17)} ${c.dim(rec.id)}  ${where}${reason}`.trimEnd();
}

function deliveryLine(rec: DeliveryRecord, c: ChalkInstance, options: EventLineOptions): string {
  const head = `${stamp(rec.at, c, options)}  ${c.dim('  →')}`;
  const tail = `${options.type ?? '-'}  ${c.dim(rec.id)}`;
  const notes: string[] = [];
  if (rec.replay) notes.push('replay');
  if (options.target) notes.push(rec.target);
  if (rec.outcome === 'delivered') {
    if (rec.attempt > 1) notes.unshift(`attempt ${rec.attempt}`);
    const ms = rec.ms === undefined ? '' : ` ${formatMs(rec.ms)}`;
    return `${head} ${c.green(String(rec.status ?? ''))}${ms}  ${tail}${notes.length > 0 ? c.dim(`  (${notes.join(', ')})`) : ''}`;
  }
  const why = rec.status !== undefined ? String(rec.status) : (rec.error ?? 'failed');
  const verdict =
    rec.outcome === 'dead'
      ? c.red(`dead after ${rec.attempt} attempts; resend with: etsyhook replay ${rec.id}`)
      : c.dim(`attempt ${rec.attempt}, failed`);
  return `${head} ${c.yellow(why)}  ${tail}  ${verdict}${notes.length > 0 ? c.dim(`  (${notes.join(', ')})`) : ''}`;
}

function stamp(at: string, c: ChalkInstance, options: EventLineOptions): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return c.dim(at);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (!options.date) return c.dim(time);
  return c.dim(`${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`);
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** 12 ms, 1.2 s */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
