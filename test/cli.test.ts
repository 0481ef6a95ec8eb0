import { describe, expect } from 'vitest';
import { it, newHome, runCli, unusedPort } from './support/index.js';

describe('the CLI surface', () => {
  it('prints the version from package.json and nothing else', async ({ home }) => {
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default as { version: string };
    const r = await runCli(['--version'], { env: home.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.stderr).toBe('');
  });

  it('shows help with examples and the exit codes', async ({ home }) => {
    const r = await runCli(['--help'], { env: home.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: etsyhook/);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/Exit codes: 0 success, 1 the operation failed, 2 usage error/);
  });

  it('names an unknown command and the nearest valid one in one line, exit 2', async ({ home }) => {
    const r = await runCli(['evnts'], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(["error: unknown command 'evnts' (did you mean events?)"]);
  });

  it('names an unknown flag in one line, exit 2', async ({ home }) => {
    const r = await runCli(['events', 'types', '--jsn'], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(["error: unknown option '--jsn' (did you mean --json?)"]);
  });

  it('lists the 14 event types; --json is an array of {name, source, description} and nothing else on stdout', async ({ cleanups }) => {
    const r = await runCli(['events', 'types', '--json'], { env: newHome(cleanups).env });
    expect(r.code).toBe(0);
    const types = JSON.parse(r.stdout) as { name: string; source: string; description: string }[];
    expect(types).toHaveLength(14);
    expect(types.filter((t) => t.source === 'etsy').map((t) => t.name)).toEqual(['order.paid', 'order.canceled', 'order.shipped', 'order.delivered']);
    // Etsy's announced inventory and listing events, marked as such.
    expect(types.filter((t) => t.source === 'announced').map((t) => t.name)).toEqual(['listing.inventory.updated', 'listing.state.updated']);
    for (const t of types) expect(Object.keys(t).sort()).toEqual(['description', 'name', 'source']);
    const human = await runCli(['events', 'types'], { env: newHome(cleanups).env });
    expect(human.stdout.trim().split('\n')).toHaveLength(14);
    expect(human.stdout).toMatch(/^listing\.inventory\.updated +announced +A listing's inventory changed/m);
    // The source column explained, on stderr.
    expect(human.stderr).toMatch(/^announced +announced by Etsy for webhooks \(etsy\/open-api discussion #1747\)/m);
    expect(human.stderr).toMatch(/^seed +from the seed chapter's receiver; Etsy does not send these/m);
    expect(human.stderr).toMatch(/^etsy +documented by Etsy/m);
  });

  it('help A B shows the subcommand\'s own help, as A B --help does', async ({ cleanups }) => {
    const r = await runCli(['help', 'events', 'list'], { env: newHome(cleanups).env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: etsyhook events list \[options\]/);
    expect(r.stdout).toMatch(/--webhook-id <ids>/);
    expect(r.stdout).toMatch(/\$ etsyhook events list --type/);
    const direct = await runCli(['events', 'list', '--help'], { env: newHome(cleanups).env });
    expect(r.stdout).toBe(direct.stdout);
  });

  it('--json failures put {"error": {message, code}} on stdout for jq, and the one line on stderr', async ({ cleanups }) => {
    const notLoggedIn = await runCli(['configs', 'list', '--json'], { env: newHome(cleanups).env });
    expect(notLoggedIn.code).toBe(2);
    const err = JSON.parse(notLoggedIn.stdout) as { error: { message: string; code: string } };
    expect(err.error.code).toBe('not_logged_in');
    expect(err.error.message).toMatch(/^not logged in to Etsy: no keystring/);
    expect(notLoggedIn.stderr.trim()).toBe(`error: ${err.error.message}`);

    const badFlag = await runCli(['events', 'list', '--json', '--limit', 'lots'], { env: newHome(cleanups).env });
    expect(badFlag.code).toBe(2);
    expect(JSON.parse(badFlag.stdout)).toEqual({ error: { message: "--limit must be a whole number of at least 1, got 'lots'", code: 'usage' } });

    const unknown = await runCli(['events', 'types', '--json', '--jsn'], { env: newHome(cleanups).env });
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toEqual({ error: { message: "unknown option '--jsn' (did you mean --json?)", code: 'unknown_option' } });

    const failed = await runCli(['events', 'show', 'evt_nope', '--json'], { env: newHome(cleanups).env });
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ error: { code: 'failed' } });
  });

  it('a network failure in --json is its documented code, whichever command met it: unreachable for a closed port', async ({ cleanups }) => {
    const port = await unusedPort();
    const queue = await runCli(['events', 'list', '--queue', `redis://127.0.0.1:${port}`, '--json'], { env: newHome(cleanups).env });
    expect(queue.code).toBe(1);
    expect(JSON.parse(queue.stdout)).toEqual({ error: { message: expect.stringMatching(/^cannot use Redis at 127\.0\.0\.1:\d+: connection refused/), code: 'unreachable' } });
  });
});
