// The one table style (events list, configs list): no borders, bold headers, two spaces between columns, fitted to the
// terminal's width by narrowing the columns that can lose characters; off a terminal (a pipe, a file, CI logs) rows
// are never cut, so nothing a script greps for (ids, types, statuses) is lost.
import { stripVTControlCharacters } from 'node:util';
import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { localTime } from './time.js';

export { localTime };

export interface Column {
  header: string;
  /** Narrowest this column may become (cells are cut with …); omitted: never narrowed. */
  min?: number;
  /** Among narrowable columns, lower gives up its characters first (default: the column's position). */
  shrinkFirst?: number;
}

const GAP = 2;
const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
};

/** Width to fit: the terminal's columns; off a terminal, no limit. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns !== undefined && stream.columns > 0 ? stream.columns : Number.POSITIVE_INFINITY;
}

/**
 * Column widths that fit `width`: each column as wide as its widest cell, then, while too wide, the narrowable
 * columns (in shrinkFirst order) give up characters down to their minimum.
 */
export function fitWidths(columns: readonly Column[], rows: readonly string[][], width: number): number[] {
  const widths = columns.map((col, i) => Math.max(col.header.length, ...rows.map((r) => visibleLength(r[i] ?? ''))) + GAP);
  let excess = widths.reduce((a, b) => a + b, 0) - GAP - width;
  const order = columns.map((col, i) => ({ i, rank: col.shrinkFirst ?? i })).sort((a, b) => a.rank - b.rank);
  for (const { i } of order) {
    if (excess <= 0) break;
    const min = columns[i]!.min;
    if (min === undefined) continue;
    const give = Math.min(excess, widths[i]! - (min + GAP));
    if (give > 0) {
      widths[i]! -= give;
      excess -= give;
    }
  }
  return widths;
}

export function renderTable(columns: readonly Column[], rows: readonly string[][], c: ChalkInstance, width: number): string {
  // Each width holds its cell and the gap after it; the last column's gap is trimmed below.
  const colWidths = fitWidths(columns, rows, width);
  const table = new Table({
    head: columns.map((col) => c.bold(col.header)),
    colWidths,
    wordWrap: false,
    truncate: '…',
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': GAP },
    chars: NO_BORDERS,
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n');
}

function visibleLength(s: string): number {
  return stripVTControlCharacters(s).length;
}

export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
