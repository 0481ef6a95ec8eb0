// An ETSYHOOK_HOME etsyhook cannot use: one line naming it and the path, exit 1, never a hang or a raw EEXIST/ENOTDIR.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { cleanEnv, it, runCli } from './support/index.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
// Commands that create or read the home: the config (send without --secret, config), the store (dev, events, tail, replay).
const COMMANDS: string[][] = [
  ['send', 'order.paid', '--to', 'http://127.0.0.1:9/webhook'],
  ['config', 'get', 'webhook-secret'],
  ['config', 'set', 'webhook-secret', SECRET],
  ['dev', '--no-tunnel', '--port', '0'],
  ['events', 'list'],
  ['events', 'show', 'evt_x'],
  ['replay', '--since', '1h'],
  ['tail'],
];

async function expectHomeError(home: string, args: string[], why: RegExp): Promise<void> {
  const res = await runCli(args, { env: cleanEnv(home), timeoutMs: 10_000 });
  const lines = res.stderr.trim().split('\n');
  expect(lines, `${args.join(' ')}: ${res.stderr}`).toHaveLength(1);
  expect(lines[0]).toContain(`ETSYHOOK_HOME (${home})`);
  expect(lines[0]).toMatch(why);
  expect(lines[0]).not.toMatch(/EEXIST|ENOTDIR|ENOENT/);
  expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(1);
  expect(res.stdout).toBe('');
}

describe('an unusable ETSYHOOK_HOME', () => {
  it('on a virtual file system (/proc) every command answers at once instead of looping in mkdir', async () => {
    for (const args of COMMANDS) await expectHomeError('/proc/etsyhook-test/home', args, /cannot be created: \/proc is a virtual file system/);
  });

  it('a file where the directory should be', async ({ home: tmp }) => {
    const file = join(tmp.dir, 'afile');
    writeFileSync(file, 'x');
    for (const args of COMMANDS) await expectHomeError(file, args, /is a file, not a directory/);
  });

  it('a file above where the directory should be', async ({ home: tmp }) => {
    const file = join(tmp.dir, 'afile');
    writeFileSync(file, 'x');
    const home = join(file, 'sub', 'home');
    for (const args of COMMANDS) await expectHomeError(home, args, new RegExp(`cannot be created: ${file} is a file, not a directory`));
  });

  it.skipIf(process.getuid?.() === 0)('a directory that is not writable (skipped as root, which may write anywhere)', async ({ home: tmp }) => {
    const ro = join(tmp.dir, 'ro');
    mkdirSync(ro, { mode: 0o500 });
    await expectHomeError(join(ro, 'home'), ['config', 'get', 'webhook-secret'], /cannot be created in .* \(permission denied\)/);
    await expectHomeError(ro, ['events', 'list'], /is not writable/);
  });

  it('a home that does not exist yet is created (nested, owner-only) as before', async ({ home: tmp }) => {
    const home = join(tmp.dir, 'a', 'b', 'home');
    const res = await runCli(['config', 'set', 'webhook-secret', SECRET], { env: cleanEnv(home) });
    expect(res.stderr).not.toMatch(/error/);
    expect(res.code).toBe(0);
    expect(existsSync(join(home, 'config.json'))).toBe(true);
  });
});

describe('ETSYHOOK_HOME set but empty', () => {
  it('is a usage error naming the variable, for every command that uses the home; nothing is created anywhere', async ({ home }) => {
    // A stand-in for the user's real home: nothing may appear in it.
    const real = join(home.dir, 'real-home');
    mkdirSync(real);
    const env = cleanEnv('', { HOME: real, XDG_CONFIG_HOME: undefined, XDG_DATA_HOME: undefined });
    for (const args of COMMANDS) {
      const res = await runCli(args, { env, timeoutMs: 10_000 });
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(res.stderr, args.join(' ')).toMatch(/ETSYHOOK_HOME is empty/);
      expect(res.stderr.trim().split('\n')[0]).not.toMatch(/at .*\.js:\d+/);
    }
    expect(readdirSync(real)).toEqual([]);
  });
});
