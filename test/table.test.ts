// The one table style: fitted to a terminal's width (narrowable columns cut with …, the event id never), not cut at
// all off a terminal; no borders.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { EVENT_COLUMNS } from '../src/ui/event-table.js';
import { fitWidths, outputWidth, renderTable } from '../src/ui/table.js';

const plain = new Chalk({ level: 0 });
const columns = EVENT_COLUMNS;
const row = ['01-31 14:03:22', 'evt_0123456789abcdef', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'listing.deactivated', 'failed ×3 502 12 ms the app answered with an error page'];

describe('tables', () => {
  it('fit an 80-column terminal by cutting the status detail first, then the type, the webhook-id last; the id stays whole', () => {
    const lines = renderTable(columns, [row], plain, 80).split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toContain('01-31 14:03:22  evt_0123456789abcdef  ');
    // The status down to its minimum and the type to its own before the webhook-id gives up a character.
    expect(lines[1]).toMatch(/ {2}failed ×3…$/);
    expect(lines[1]).toMatch(/ {2}listing.dea… {2}failed/);
    expect(lines[1]).toMatch(/ {2}msg_p5jXN8AQM9L\S*… {2}listing/);
    // A little wider: the webhook-id is whole again, and the type; only the status detail is cut.
    const wider = renderTable(columns, [row], plain, 110).split('\n')[1]!;
    expect(wider).toContain('  msg_p5jXN8AQM9LWM0D4loKWxJek  listing.deactivated  failed ×3 502');
    expect(wider).toMatch(/…$/);
  });

  it('show every cell whole when the width allows', () => {
    const text = renderTable(columns, [row], plain, 200);
    for (const cell of row) expect(text).toContain(cell);
    expect(text.split('\n')[0]).toMatch(/^received {8}id {20}webhook-id/);
  });

  it('never narrow a column below its minimum', () => {
    const widths = fitWidths(columns, [row], 20);
    expect(widths[2]).toBe(12);
    expect(widths[1]).toBe('evt_0123456789abcdef'.length + 2);
  });

  it('are the terminal width on one, and have no width limit off a terminal (a pipe, a file, CI logs)', () => {
    expect(outputWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(outputWidth({ isTTY: false, columns: 200 })).toBe(Number.POSITIVE_INFINITY);
    expect(outputWidth({})).toBe(Number.POSITIVE_INFINITY);
    const text = renderTable(columns, [row], plain, outputWidth({ isTTY: false }));
    expect(text).not.toContain('…');
    for (const cell of row) expect(text).toContain(cell);
  });
});
