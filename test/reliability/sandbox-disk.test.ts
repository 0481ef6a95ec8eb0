// The sandbox's state on a disk that fills up: a change it could not write is refused (never answered as done), and
// what it wrote before and after stays readable: a write cut short by the full disk leaves no damaged line behind,
// so the next start loads the state instead of refusing it.
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { it, startSandbox } from '../support/index.js';
import { fill, tmpfs } from '../support/disk.js';

describe('sandbox on a full disk', () => {
  it('refuses what it cannot write, takes orders again once space returns, and starts again on the same state', async ({ cleanups, skip }) => {
    const fs = tmpfs(cleanups, '512k');
    if ('reason' in fs) skip(`no way to make a full disk here: ${fs.reason}`);
    const home = (fs as { dir: string }).dir;
    const first = await startSandbox(cleanups, home);
    const listing = (await first.api(`/application/shops/${first.info.shopId}/listings`)).body.results[0].listing_id as number;
    const filler = fill(home);
    const whileFull: number[] = [];
    for (let i = 0; i < 20; i++) whileFull.push((await first.control('/orders', { listing_id: listing })).status);
    expect(whileFull.some((s) => s >= 500), `some order refused while the disk is full: ${whileFull.join(' ')}`).toBe(true);
    unlinkSync(filler);
    rmSync(join(home, 'filler2'), { force: true });
    const after = await first.control('/orders', { listing_id: listing });
    expect(after.status).toBe(201);
    const kept = whileFull.filter((s) => s === 201).length + 1;
    expect(await first.stop('SIGKILL')).toBe(null);

    const again = await startSandbox(cleanups, home);
    expect(again.stderr()).not.toMatch(/error/);
    expect((await again.api(`/application/shops/${again.info.shopId}/receipts`)).body.count).toBe(kept);
  });
});
