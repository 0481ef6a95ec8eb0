// One line per stored record, the same look in `dev`, `tail` and `replay`:
//   14:03:22  --> order.paid          evt_4k2j9x0q1m3n5b7v  accepted
//   14:03:22  <-- [200] POST http://127.0.0.1:3000/webhooks  12 ms  evt_4k2j9x0q1m3n5b7v  delivered
import type { ChalkInstance } from 'chalk';
import type { DeliveryRecord, ReceivedRecord, StoreRecord } from '../core/records.js';

export interface EventLineOptions {
  /** The event's type, for a delivery line (delivery records do not carry it). */
  type?: string;
  /** Show the date as well as the time (for events older than today). */
  date?: boolean;
}

const TYPE_WIDTH = 19; // 'listing.deactivated'

/** One human line for a received request or a delivery attempt; no trailing newline. */
export function formatEventLine(record: StoreRecord, c: ChalkInstance, options: EventLineOptions = {}): string {
  return record.kind === 'received' ? receivedLine(record, c, options) : deliveryLine(record, c, options);
}

function receivedLine(rec: ReceivedRecord, c: ChalkInstance, options: EventLineOptions): string {
  const type = rec.type ?? '(unknown type)';
  const verdict =
    rec.verdict === 'accepted'
      ? c.green(rec.verdict)
      : rec.verdict === 'rejected'
        ? c.red(rec.verdict)
        : c.yellow(rec.verdict);
  const reason = rec.reason ? `  ${c.dim(rec.reason)}` : '';
  return `${stamp(rec.at, c, options)}  ${c.dim('-->')} ${c.bold(type.padEnd(TYPE_WIDTH))} ${c.dim(rec.id)}  ${verdict}${reason}`;
}

function deliveryLine(rec: DeliveryRecord, c: ChalkInstance, options: EventLineOptions): string {
  const ok = rec.outcome === 'delivered';
  const code = rec.status === undefined ? 'ERR' : String(rec.status);
  const badge = ok ? c.green(`[${code}]`) : c.red(`[${code}]`);
  const ms = rec.ms === undefined ? '' : `  ${formatMs(rec.ms)}`;
  const error = rec.error ? `  ${c.red(rec.error)}` : '';
  const outcome = ok ? c.green(rec.outcome) : rec.outcome === 'dead' ? c.red.bold(rec.outcome) : c.red(rec.outcome);
  const tags = [rec.attempt > 1 ? `attempt ${rec.attempt}` : '', rec.replay ? 'replay' : '', options.type ?? '']
    .filter((t) => t !== '')
    .join(', ');
  const extra = tags === '' ? '' : `  ${c.dim(`(${tags})`)}`;
  return `${stamp(rec.at, c, options)}  ${c.dim('<--')} ${badge} POST ${rec.target}${ms}${error}  ${c.dim(rec.id)}  ${outcome}${extra}`;
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
