// Counts, sizes and durations in words: "1 byte", "2 KiB", "1 event", "dead after 1 attempt".
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { startRecorder } from './support/recorder.js';
import { received, SECRET, writeStore } from './support/fixtures.js';
import { it, runCli } from './support/index.js';

describe('words', () => {
  it('send --data: the size of a body that is not JSON, in words', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const r = await startRecorder();
    cleanups.push(() => r.close());
    const one = join(dir, 'one');
    const big = join(dir, 'big');
    writeFileSync(one, 'x');
    writeFileSync(big, 'y'.repeat(2048));
    const a = await runCli(['send', 'order.paid', '--to', r.url, '--secret', SECRET, '--data', one], { env });
    expect(a.stderr).toMatch(/is not valid JSON; sending it byte for byte anyway \(1 byte\)/);
    const b = await runCli(['send', 'order.paid', '--to', r.url, '--secret', SECRET, '--data', big], { env });
    expect(b.stderr).toMatch(/sending it byte for byte anyway \(2 KiB\)/);
  });

  it('events show: the body size in words; replay: one event, singular', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const ev = received({ bytes: Buffer.from(JSON.stringify({ event_type: 'order.paid', pad: 'z'.repeat(1500) })) });
    await writeStore(dir, [ev]);
    const shown = await runCli(['events', 'show', ev.id], { env });
    expect(shown.stdout).toMatch(/Body \(1\.5 KiB, JSON\)/);
    const r = await startRecorder();
    cleanups.push(() => r.close());
    const replay = await runCli(['replay', ev.id, '--to', r.url], { env });
    expect(replay.stderr).toMatch(/^replaying 1 event byte-exact/m);
    expect(replay.stderr).toMatch(/replayed 1 event byte-exact .* in \d+ ms: 1 delivered, 0 failed/);
  });

  it('a replay that fails: "1 of 1 replay failed"', async ({ cleanups, home }) => {
    const { dir, env } = home;
    const ev = received();
    await writeStore(dir, [ev]);
    const r = await startRecorder({ status: 500 });
    cleanups.push(() => r.close());
    const replay = await runCli(['replay', ev.id, '--to', r.url], { env });
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/error: 1 of 1 replay failed/);
  });
});
