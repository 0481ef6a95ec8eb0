// Ctrl-C (a real SIGINT to the child) stops every long-running and batch command the same way: `send` and `replay`
// at once with the summary so far, `dev`, `tail`, `inspect`, `serve` and `worker` after finishing what is in flight;
// all exit 130. SIGTERM is a graceful stop: exit 0.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { recorder } from './support/recorder.js';
import { redis, serve, worker } from './support/redis.js';
import { BIN, cleanEnv, it, post, ROOT, runCli, SECRET, signed, startCli, startDev, waitFor, type Scope } from './support/index.js';

/** Start the CLI without a terminal; collect its output; resolve its exit code and how long after SIGINT it came. */
function start(cleanups: Scope, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    /** SIGINT, then the exit code and the milliseconds it took to exit. */
    interrupt: async (): Promise<{ code: number | null; ms: number }> => {
      const t0 = Date.now();
      child.kill('SIGINT');
      const code = await exited;
      return { code, ms: Date.now() - t0 };
    },
  };
}

describe('send, interrupted', () => {
  it('a long --count run without a terminal shows progress, then Ctrl-C prints the summary so far and exits 130', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { delayMs: 2 });
    const p = start(cleanups, ['send', 'order.paid', '--to', r.url, '--secret', SECRET, '--count', '1000000', '--concurrency', '4'], home.env);
    // Progress every few seconds on stderr, since there is no spinner.
    await waitFor('a progress line', () => /^\.\.\. \d+\/1000000 sent in [\d.]+ (ms|s) \(200: \d+\)$/m.test(p.stderr()), 15_000);
    const { code, ms } = await p.interrupt();
    expect(code).toBe(130);
    expect(ms).toBeLessThan(3000);
    const err = p.stderr();
    const m = /<-- (\d+) requests in [\d.]+ (ms|s) \([\d.]+\/s\), interrupted after (\d+) of 1000000/.exec(err);
    expect(m, err).not.toBeNull();
    const done = Number(m![1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThanOrEqual(r.requests.length);
    expect(err).toMatch(new RegExp(`^    200 +${done}$`, 'm'));
    expect(err).toMatch(/p50 [\d.]+ ms · p99 [\d.]+ ms/);
    expect(err).toMatch(new RegExp(`interrupted: ${done} of 1000000 requests finished`));
    expect(err).not.toMatch(/error:/);
    expect(p.stdout()).toBe('');
  });

  it('--json: the summary object so far, marked interrupted', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { delayMs: 2 });
    const p = start(cleanups, ['send', 'order.paid', '--to', r.url, '--secret', SECRET, '--count', '1000000', '--json'], home.env);
    await waitFor('twenty requests', () => r.requests.length >= 20, 15_000);
    const { code } = await p.interrupt();
    expect(code).toBe(130);
    const summary = JSON.parse(p.stdout()) as { interrupted: boolean; count: number; planned: number; httpStatuses: Record<string, number>; ms: { p50: number; p99: number } };
    expect(summary.interrupted).toBe(true);
    expect(summary.planned).toBe(1000000);
    expect(summary.count).toBeGreaterThanOrEqual(19);
    expect(summary.httpStatuses['200']).toBe(summary.count);
    expect(summary.ms.p50).toBeGreaterThan(0);
  });

  it('one request to an app that never answers: Ctrl-C stops at once, not at --timeout', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { hang: true });
    const p = start(cleanups, ['send', 'order.paid', '--to', r.url, '--secret', SECRET, '--timeout', '5m'], home.env);
    await waitFor('the request to arrive', () => r.requests.length === 1, 10_000);
    const { code, ms } = await p.interrupt();
    expect(code).toBe(130);
    expect(ms).toBeLessThan(3000);
    expect(p.stderr()).toMatch(/<-- interrupted after [\d.]+ (ms|s) without an answer from http:\/\/127\.0\.0\.1:\d+\/webhook/);
    expect(p.stderr()).not.toMatch(/error:/);
  });

  it('one request, --json: the request object with no response, marked interrupted', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { hang: true });
    const p = start(cleanups, ['send', 'order.paid', '--to', r.url, '--secret', SECRET, '--json'], home.env);
    await waitFor('the request to arrive', () => r.requests.length === 1, 10_000);
    const { code } = await p.interrupt();
    expect(code).toBe(130);
    const obj = JSON.parse(p.stdout()) as { interrupted: boolean; response: unknown; event: { id: string } };
    expect(obj).toMatchObject({ interrupted: true, response: null });
    expect(obj.event.id).toBe(r.requests[0]!.headers['webhook-id']);
  });
});

describe('replay, interrupted', () => {
  it('Ctrl-C while replaying to an app that never answers: the summary so far, exit 130', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    for (let i = 0; i < 5; i++) expect((await post(dev.url, signed())).status).toBe(200);
    await dev.stop('SIGTERM');
    const slow = await recorder(cleanups, { hang: true });
    const p = start(cleanups, ['replay', '--since', '1h', '--to', slow.url, '--concurrency', '1', '--timeout', '5m'], dev.env);
    await waitFor('the first replay to arrive', () => slow.requests.length === 1, 10_000);
    const { code, ms } = await p.interrupt();
    expect(code).toBe(130);
    expect(ms).toBeLessThan(3000);
    expect(p.stderr()).toMatch(/interrupted: replayed 0 of 5 events .*: 0 delivered, 0 failed/);
    expect(p.stderr()).not.toMatch(/error:/);
  });

  it('--json: per-event lines so far, then the summary object marked interrupted', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    for (let i = 0; i < 5; i++) expect((await post(dev.url, signed())).status).toBe(200);
    await dev.stop('SIGTERM');
    // The first two get an answer; the third hangs.
    let n = 0;
    const app = await recorder(cleanups, { body: '{"status":"accepted"}', hang: () => ++n > 2 });
    const p = start(cleanups, ['replay', '--since', '1h', '--to', app.url, '--concurrency', '1', '--json'], dev.env);
    await waitFor('the third replay to arrive', () => app.requests.length === 3, 10_000);
    const { code } = await p.interrupt();
    expect(code).toBe(130);
    const lines = p.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines.slice(0, 2).map((l) => [l.kind, l.status, l.httpStatus])).toEqual([['delivery', 'delivered', 200], ['delivery', 'delivered', 200]]);
    expect(lines[2]).toMatchObject({ kind: 'summary', interrupted: true, planned: 5, count: 2, delivered: 2, duplicates: 0, failed: 0 });
    expect((lines[2]!.ms as { p50: number }).p50).toBeGreaterThan(0);
  });
});

describe('the long-running commands, interrupted', () => {
  it('dev: Ctrl-C prints what it received and exits 130; SIGTERM exits 0', async ({ cleanups }) => {
    const dev = await startDev(cleanups);
    expect((await post(dev.url, signed())).status).toBe(200);
    expect(await dev.stop('SIGINT')).toBe(130);
    expect(dev.stderr()).toMatch(/stopped: 1 received \(1 accepted/);
    const again = await startDev(cleanups, [], { home: dev.home });
    expect(await again.stop('SIGTERM')).toBe(0);
  });

  it('tail and inspect: Ctrl-C says what it stopped and exits 130, SIGTERM 0', async ({ cleanups, home }) => {
    const tail = await startCli(['tail'], { env: home.env, ready: /waiting for events|following/ });
    cleanups.push(() => tail.stop('SIGKILL'));
    expect(await tail.stop('SIGINT')).toBe(130);
    // Ctrl-C says what it stopped, not nothing.
    expect(tail.stderr()).toMatch(/^stopped: 0 records shown$/m);
    const inspect = await startCli(['inspect', '--inspect-port', '0', '--secret', SECRET], { env: home.env, ready: /Inspector:/ });
    cleanups.push(() => inspect.stop('SIGKILL'));
    expect(await inspect.stop('SIGINT')).toBe(130);
    expect(inspect.stderr()).toMatch(/^stopped: the inspector at http:\/\/127\.0\.0\.1:\d+\/ is closed$/m);
    const calm = await startCli(['inspect', '--inspect-port', '0', '--secret', SECRET], { env: home.env, ready: /Inspector:/ });
    cleanups.push(() => calm.stop('SIGKILL'));
    expect(await calm.stop('SIGTERM')).toBe(0);
  });

  it('serve and worker: Ctrl-C exits 130 after settling; SIGTERM exits 0, as serve promises', async ({ cleanups, home }) => {
    const r = await redis(cleanups);
    const s = await serve(cleanups, r, home);
    expect(await s.proc.stop('SIGINT')).toBe(130);
    expect(s.proc.stderr()).toMatch(/stopping \(SIGINT\)/);
    const s2 = await serve(cleanups, r, home);
    expect(await s2.proc.stop('SIGTERM')).toBe(0);
    const app = await recorder(cleanups);
    const w = await worker(cleanups, r, home, ['--forward-to', app.url]);
    expect(await w.stop('SIGINT')).toBe(130);
    expect(w.stderr()).toMatch(/stopping \(SIGINT\)/);
    const w2 = await worker(cleanups, r, home, ['--forward-to', app.url]);
    expect(await w2.stop('SIGTERM')).toBe(0);
  });
});

describe('named bugs', () => {
  it('inspect --secret "" is a usage error (exit 2), not a silent fall back to the stored secret', async ({ home }) => {
    const r = await runCli(['inspect', '--inspect-port', '0', '--secret', ''], { env: home.env, timeoutMs: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --secret is empty/);
  });

  it('tail --queue works with an unusable ETSYHOOK_HOME: the local home is not looked at', async ({ cleanups, home }) => {
    const r = await redis(cleanups);
    const file = join(home.dir, 'not-a-directory');
    writeFileSync(file, 'x');
    const tail = await startCli(['tail', '--queue', r.url], { env: cleanEnv(file), ready: /following the Redis history/ });
    cleanups.push(() => tail.stop('SIGKILL'));
    expect(tail.stderr()).not.toMatch(/ETSYHOOK_HOME/);
    expect(await tail.stop('SIGINT')).toBe(130);
  });
});
