// What a user reads should be what is true: hints that run as printed, addresses and ports as they are, and what a
// damaged store can and cannot tell.
import { describe, expect } from 'vitest';
import { it, post, runCli, signed, startCli, waitFor } from './support/index.js';
import { recorder } from './support/recorder.js';
import { redis } from './support/redis.js';

describe('hints and lines that say what is true', () => {
  it('tail --queue: the resend hint of a dead event names --queue, and runs as printed', async ({ cleanups, home, dev: startDev }) => {
    const r = await redis(cleanups);
    const app = await recorder(cleanups, { status: 500 });
    const dev = await startDev(['--queue', r.url, '--forward-to', app.url, '--max-attempts', '1']);
    const id = (await post(dev.url, signed())).json().id as string;
    const tail = await startCli(['tail', '--queue', r.url, '--since', '1h'], { env: home.env, ready: /following the Redis history/ });
    cleanups.push(() => tail.stop('SIGKILL'));
    const hint = await waitFor('the dead line', () => /resend with: etsyhook (replay .*)$/m.exec(tail.stdout())?.[1], 10_000);
    expect(hint).toBe(`replay ${id} --queue ${r.url}`);
    const replayed = await runCli(hint.split(' '), { env: home.env });
    expect(replayed.stderr).toMatch(/replayed 1 event/);
    expect(app.requests).toHaveLength(2);
  });
});
