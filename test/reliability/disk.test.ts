// Reliability 4: the store cannot write. As root, chmod does not stop writes, so the store is put on a small tmpfs
// that is then filled (ENOSPC), and separately pointed at /dev/full. The receiver answers 503 — never a 2xx for an
// event that is not stored — stays up, and once space returns it accepts again; every 2xx'd event is in the store.
import { mkdirSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { generateSecret, health, it, listEvents, orderBody, recordFigure, send, signHeaders, startDev } from '../support/index.js';
import { fill, tmpfs } from '../support/disk.js';

async function sendOne(url: string, secret: string): Promise<{ status: number; id: string }> {
  const body = orderBody();
  const hd = signHeaders(secret, body);
  const r = await send(url, { body, headers: hd });
  return { status: r.status, id: hd['webhook-id']! };
}

describe('disk trouble', () => {
  it('a full disk: 503, never 2xx; still up; accepts again once space returns; every 2xx stored', async ({ cleanups, skip }) => {
    const fs = tmpfs(cleanups, '512k');
    if ('reason' in fs) {
      skip(`no way to make a full disk here: ${fs.reason}`);
      return;
    }
    const h = fs.dir;
    const secret = generateSecret();
    const dev = await startDev(cleanups, [], { home: h, secret });
    const ok: string[] = [];
    const before = await sendOne(dev.url, secret);
    expect(before.status).toBe(200);
    ok.push(before.id);

    const filler = fill(h);
    // The log's last page may still hold a few records; keep sending until the disk says no, and never a 2xx then.
    const whileFull: number[] = [];
    for (let i = 0; i < 60 && !whileFull.includes(503); i++) {
      const r = await sendOne(dev.url, secret);
      whileFull.push(r.status);
      if (r.status === 200) ok.push(r.id);
    }
    expect(whileFull, 'the full disk must show as 503').toContain(503);
    const firstFail = whileFull.indexOf(503);
    // Once a write has failed, everything after it fails too while the disk stays full.
    const after: number[] = [];
    for (let i = 0; i < 10; i++) after.push((await sendOne(dev.url, secret)).status);
    expect(after.every((s) => s === 503), `while full: ${after.join(',')}`).toBe(true);
    expect(whileFull.slice(firstFail).every((s) => s === 503)).toBe(true);
    // Still up (/health 200), and /ready says the store cannot write (503), so a load balancer stops sending here.
    expect(await health(dev.origin), 'receiver still up with a full disk').toMatchObject({ httpStatus: 200, body: { status: 'healthy', ready: false } });
    expect((await send(`${dev.origin}/ready`, { method: 'GET' })).status).toBe(503);

    // Space returns.
    unlinkSync(filler);
    rmSync(join(h, 'filler2'), { force: true });
    const recovered: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await sendOne(dev.url, secret);
      recovered.push(r.status);
      if (r.status === 200) ok.push(r.id);
    }
    expect(recovered.every((s) => s === 200), `after space returned: ${recovered.join(',')}`).toBe(true);
    await dev.stop();

    const listed = await listEvents(h);
    const accepted = new Set(listed.filter((e) => e.verdict === 'accepted').map((e) => e.webhookId));
    for (const id of ok) expect(accepted.has(id), `2xx'd ${id} is stored`).toBe(true);
    recordFigure('4. disk full (tmpfs 512k)', `${whileFull.length + after.length} requests while full: ${whileFull.filter((s) => s === 200).length} × 200 that still fit in the log's last page (all stored), then ${whileFull.filter((s) => s === 503).length + after.length} × 503, 0 × 2xx unstored; receiver up; 10/10 × 200 once space returned; ${ok.length} acknowledged events all in the store`);
  });

  it('a store that cannot write at all (/dev/full): 503 for every event, never 2xx, still up', async ({ cleanups, home }) => {
    const h = home.dir;
    mkdirSync(join(h, 'events'), { recursive: true, mode: 0o700 });
    symlinkSync('/dev/full', join(h, 'events', 'events.ndjson'));
    const secret = generateSecret();
    const dev = await startDev(cleanups, [], { home: h, secret });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await sendOne(dev.url, secret)).status);
    expect(statuses.every((s) => s === 503), statuses.join(',')).toBe(true);
    expect(await health(dev.origin), 'receiver still up').toMatchObject({ httpStatus: 200, body: { status: 'healthy', ready: false } });
    expect((await send(`${dev.origin}/ready`, { method: 'GET' })).status).toBe(503);
    expect(dev.child.exitCode).toBeNull();
    recordFigure('4b. store on /dev/full', `10 × 503, 0 × 2xx; receiver up`);
  });
});
