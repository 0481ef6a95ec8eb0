// The `events list` table: one row per stored event, newest first, in the one table style (ui/table.ts).
import type { ChalkInstance } from 'chalk';
import type { StoredEvent } from '../core/log/query.js';
import type { EventStatus } from '../core/log/records.js';
import { formatMs } from '../format.js';
import { localTime, renderTable, truncate, type Column } from './table.js';

export { localTime, truncate };

// On a narrow terminal the status's detail gives way first, then the type, and the webhook-id last; the event id
// stays whole (it is what `events show` and `replay` take). Off a terminal nothing is cut.
export const EVENT_COLUMNS: readonly Column[] = [
  { header: 'received' },
  { header: 'id' },
  { header: 'webhook-id', min: 10, shrinkFirst: 2 },
  { header: 'type', min: 12, shrinkFirst: 1 },
  { header: 'status', min: 10, shrinkFirst: 0 },
];

/** The cells of one event's row. */
export function eventRow(ev: StoredEvent, c: ChalkInstance): string[] {
  const r = ev.record;
  const last = ev.deliveries[ev.deliveries.length - 1];
  const lastText =
    last === undefined
      ? ''
      : `${last.httpStatus ?? 'ERR'}${last.ms === undefined ? '' : ` ${formatMs(last.ms)}`}${last.error ? ` ${truncate(last.error, 40)}` : ''}`;
  const detail = lastText !== '' ? lastText : r.reason ? truncate(r.reason, 60) : '';
  const attempts = ev.attempts > 0 ? ` ×${ev.attempts}` : '';
  return [
    c.dim(shortTime(r.at)),
    r.id,
    r.webhookId ?? c.dim('-'),
    r.type ?? c.dim('(unknown)'),
    `${colourStatus(ev.status, c)}${attempts}${detail === '' ? '' : ` ${c.dim(detail)}`}`,
  ];
}

export function renderEventRows(rows: readonly string[][], c: ChalkInstance, width: number): string {
  return renderTable(EVENT_COLUMNS, rows, c, width);
}

export function colourStatus(status: EventStatus, c: ChalkInstance): string {
  switch (status) {
    case 'accepted':
    case 'delivered':
      return c.green(status);
    case 'rejected':
    case 'failed':
      return c.red(status);
    case 'dead':
      return c.red.bold(status);
    default:
      return c.yellow(status);
  }
}

/** 01-31 14:03:22, local time as everywhere; the year is in `events show` and --json. */
function shortTime(at: string): string {
  const t = localTime(at);
  return /^\d{4}-/.test(t) ? t.slice(5) : t;
}
