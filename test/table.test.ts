// The one table style: fitted to the width (80 columns off a terminal), narrowable columns cut with …, no borders.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { fitWidths, outputWidth, renderTable } from '../src/ui/table.js';

const plain = new Chalk({ level: 0 });
const columns = [{ header: 'received' }, { header: 'id' }, { header: 'webhook-id', min: 10, shrinkFirst: 0 }, { header: 'type', min: 12, shrinkFirst: 1 }, { header: 'status', min: 10, shrinkFirst: 2 }];
const row = ['01-31 14:03:22', 'evt_0123456789abcdef', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'listing.deactivated', 'failed ×3 502 12 ms the app answered with an error page'];

describe('tables', () => {
  it('fit 80 columns by cutting the narrowable columns, keeping ids whole', () => {
    const text = renderTable(columns, [row], plain, 80);
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toContain('evt_0123456789abcdef');
    expect(lines[1]).toContain('01-31 14:03:22');
    expect(lines[1]).toMatch(/  msg_p5jXN…  /);
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

  it('are 80 columns wide off a terminal, the terminal width on one', () => {
    expect(outputWidth({ isTTY: false, columns: 200 })).toBe(80);
    expect(outputWidth({ isTTY: true, columns: 132 })).toBe(132);
  });
});
