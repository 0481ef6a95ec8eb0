// `etsyhook config set|get|unset|path` (what `dev` reads its ngrok authtoken and secret from).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { it, newHome, runCli, SECRET } from './support/index.js';

const TOKEN = '2abcDEFghiJKLmnoPQRstuVWX_0123456789';

describe('config', () => {
  it('set stores in a 0600 file; get masks secrets unless --print-secret', async ({ home: h }) => {
    const set = await runCli(['config', 'set', 'ngrok-authtoken', TOKEN], { env: h.env });
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('');
    expect(set.stderr).not.toContain(TOKEN);
    expect(statSync(join(h.dir, 'config.json')).mode & 0o777).toBe(0o600);

    const get = await runCli(['config', 'get', 'ngrok-authtoken'], { env: h.env });
    expect(get.code).toBe(0);
    expect(get.stdout).toBe('2abc…6789\n');
    const full = await runCli(['config', 'get', 'ngrok-authtoken', '--print-secret'], { env: h.env });
    expect(full.stdout).toBe(`${TOKEN}\n`);
  });

  it('reads a value from stdin with -, lists everything with --json, unsets', async ({ home: h }) => {
    expect((await runCli(['config', 'set', 'webhook-secret', '-'], { env: h.env, input: `${SECRET}\n` })).code).toBe(0);
    expect((await runCli(['config', 'set', 'shop-id', '12345678'], { env: h.env })).code).toBe(0);
    const all = await runCli(['config', 'get', '--json'], { env: h.env });
    expect(JSON.parse(all.stdout)).toEqual({ 'webhook-secret': 'whsec_MfKQ…LaSw', 'shop-id': 12345678 });
    expect(all.stdout).not.toContain(SECRET);
    const unset = await runCli(['config', 'unset', 'webhook-secret'], { env: h.env });
    expect(unset.code).toBe(0);
    const gone = await runCli(['config', 'get', 'webhook-secret'], { env: h.env });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/webhook-secret is not set/);
  });

  it('unknown keys, bad values and token keys are usage errors', async ({ home: h }) => {
    const unknown = await runCli(['config', 'set', 'ngrok-token', 'x'], { env: h.env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown config key 'ngrok-token' \(did you mean ngrok-authtoken\?\)/);
    expect((await runCli(['config', 'set', 'shop-id', 'abc'], { env: h.env })).code).toBe(2);
    expect((await runCli(['config', 'set', 'access-token', 'x'], { env: h.env })).code).toBe(2);
  });

  it('path prints where the file lives; dev uses the stored values', async ({ home: h }) => {
    const p = await runCli(['config', 'path'], { env: h.env });
    expect(p.stdout).toBe(`${join(h.dir, 'config.json')}\n`);
    await runCli(['config', 'set', 'webhook-secret', SECRET], { env: h.env });
    const printed = await runCli(['dev', '--print-secret'], { env: h.env });
    expect(printed.stdout).toBe(`${SECRET}\n`);
  });

  it('says when an environment variable overrides the stored value', async ({ cleanups }) => {
    const h = newHome(cleanups, { NGROK_AUTHTOKEN: 'from-env-0123456789' });
    const set = await runCli(['config', 'set', 'ngrok-authtoken', TOKEN], { env: h.env });
    expect(set.stderr).toMatch(/NGROK_AUTHTOKEN is set in the environment and takes precedence/);
  });
});
