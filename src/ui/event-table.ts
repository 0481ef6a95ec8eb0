// The `events list` table: one row per stored event, newest first.
import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { StoredEvent } from '../core/log/query.js';
import type { EventStatus } from '../core/log/records.js';
import { formatMs } from './event-line.js';

/** The cells of one event's row. */
export function eventRow(ev: StoredEvent, c: ChalkInstance): string[] {
  const r = ev.record;
  const last = ev.deliveries[ev.deliveries.length - 1];
  const lastText =
    last === undefined
      ? ''
      : `${last.status ?? 'ERR'} ${last.ms === undefined ? '' : formatMs(last.ms)}${last.error ? ` ${truncate(last.error, 40)}` : ''}`.trim();
  return [
    c.dim(localTime(r.at)),
    r.id,
    r.type ?? c.dim('(unknown)'),
    colourStatus(ev.status, c),
    String(ev.attempts),
    lastText !== '' ? lastText : r.reason ? c.dim(truncate(r.reason, 60)) : '',
  ];
}

export function renderEventRows(rows: readonly string[][], c: ChalkInstance): string {
  const table = new Table({
    head: ['received', 'id', 'type', 'status', 'attempts', 'last delivery / reason'].map((h) => c.bold(h)),
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
    },
  });
  for (const row of rows) table.push(row);
  return table.toString();
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

/** 2026-01-31 14:03:22 in local time. */
export function localTime(at: string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
