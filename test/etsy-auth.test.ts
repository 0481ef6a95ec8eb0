// `etsyhook auth`: the whole OAuth login against the fake Etsy (the test plays the browser), status and logout.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect } from 'vitest';
import { cleanEnv, unusedPort, runCli, startCli } from './support/index.js';
import { it as etsyTest, readStoredConfig, storeLogin } from './support/fake-etsy.js';


function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function authorizeUrlFrom(stderr: string): string {
  const m = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/connect\?\S+)/.exec(stderr);
  if (!m?.[1]) throw new Error(`no authorize URL in: ${stderr}`);
  return m[1];
}

/** What `auth login` needs to reach the fake Etsy (its API base and authorize page), in the test's home, plus `extra`. */
const it = etsyTest.extend<{ loginEnv: (extra?: Record<string, string | undefined>) => NodeJS.ProcessEnv }>({
  loginEnv: async ({ fake, home }, use) => {
    await use((extra = {}) => cleanEnv(home.dir, { ETSY_API_BASE: fake.apiBase, ETSY_OAUTH_AUTHORIZE_URL: fake.authorizeUrl, ...extra }));
  },
});

describe('auth login', () => {
  it('logs in end to end with PKCE: a wrong state gets 400 and the login still completes with the right one', async ({ fake, home, loginEnv }) => {
    const port = await unusedPort();
    const cli = await startCli(
      ['auth', 'login', '--no-browser', '--port', String(port), '--api-key', fake.keystring, '--shared-secret', fake.sharedSecret, '--json'],
      { env: loginEnv(), ready: /Waiting for Etsy/ },
    );
    try {
      const authorize = new URL(authorizeUrlFrom(cli.stderr()));
      expect(authorize.searchParams.get('response_type')).toBe('code');
      expect(authorize.searchParams.get('client_id')).toBe(fake.keystring);
      expect(authorize.searchParams.get('redirect_uri')).toBe(`http://localhost:${port}/oauth/redirect`);
      expect(authorize.searchParams.get('scope')).toBe('shops_r shops_w transactions_r');
      expect(authorize.href).toContain('scope=shops_r%20shops_w%20transactions_r');
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{16,}$/);

      // The browser: open the authorize page, which redirects to the CLI's callback.
      const page = await fetch(authorize, { redirect: 'manual' });
      expect(page.status).toBe(302);
      const callback = new URL(page.headers.get('location')!);
      expect(callback.searchParams.get('state')).toBe(authorize.searchParams.get('state'));

      const forged = new URL(callback);
      forged.searchParams.set('state', 'not-the-state');
      const bad = await fetch(forged);
      expect(bad.status).toBe(400);
      await bad.text();

      const elsewhere = await fetch(new URL('/favicon.ico', callback));
      expect(elsewhere.status).toBe(404);
      await elsewhere.text();

      const good = await fetch(callback);
      expect(good.status).toBe(200);
      expect(await good.text()).toContain('Logged in');
      expect(await exited(cli.child)).toBe(0);
    } finally {
      await cli.stop();
    }

    const stdout = cli.stdout();
    expect(JSON.parse(stdout)).toEqual({
      loggedIn: true,
      userId: fake.userId,
      shopId: fake.shopId,
      scopes: ['shops_r', 'shops_w', 'transactions_r'],
      expiresAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(cli.stderr()).toMatch(/state does not match/);
    expect(fake.counts.tokenExchanges).toBe(1);

    const stored = readStoredConfig(home.dir);
    expect(stored.accessToken).toBe(fake.issued.accessTokens[0]);
    expect(stored.refreshToken).toBe(fake.issued.refreshTokens[0]);
    expect(stored.userId).toBe(fake.userId);
    expect(stored.shopId).toBe(fake.shopId);
    expect(stored.apiKey).toBe(fake.keystring);
    expect(stored.sharedSecret).toBe(fake.sharedSecret);
    expect(Date.parse(String(stored.expiresAt)) - Date.now()).toBeGreaterThan(3500_000);
    expect(statSync(join(home.dir, 'config.json')).mode & 0o777).toBe(0o600);

    for (const secret of [fake.sharedSecret, ...fake.issued.accessTokens, ...fake.issued.refreshTokens]) {
      expect(cli.stdout() + cli.stderr()).not.toContain(secret);
    }

    // The stored login is enough for the next command: no variables at all.
    const status = await runCli(['auth', 'status'], { env: cleanEnv(home.dir) });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`User id:     ${fake.userId}`);
    expect(status.stdout).toContain(`Shop id:     ${fake.shopId}`);
    expect(status.stdout).toContain('shops_r shops_w transactions_r');
    expect(status.stdout).not.toContain(fake.keystring);
    expect(status.stdout).toContain(fake.keystring.slice(0, 4));
    expect(status.stdout + status.stderr).not.toContain(fake.sharedSecret);
  });

  it('with --scopes, asks for those scopes; keys from the environment are not copied to disk', async ({ fake, home, loginEnv }) => {
    const port = await unusedPort();
    const cli = await startCli(['auth', 'login', '--no-browser', '--port', String(port), '--scopes', 'shops_r,listings_r'], {
      env: loginEnv({ ETSY_API_KEY: fake.keystring, ETSY_SHARED_SECRET: fake.sharedSecret }),
      ready: /Waiting for Etsy/,
    });
    try {
      const authorize = new URL(authorizeUrlFrom(cli.stderr()));
      expect(authorize.searchParams.get('scope')).toBe('shops_r listings_r');
      const page = await fetch(authorize, { redirect: 'manual' });
      const cb = await fetch(page.headers.get('location')!);
      expect(cb.status).toBe(200);
      await cb.text();
      expect(await exited(cli.child)).toBe(0);
    } finally {
      await cli.stop();
    }
    expect(cli.stdout()).toBe('');
    expect(cli.stderr()).toMatch(new RegExp(`Logged in to Etsy as user ${fake.userId} \\(shop ${fake.shopId}\\)`));
    const stored = readStoredConfig(home.dir);
    expect(stored.scopes).toEqual(['shops_r', 'listings_r']);
    expect(stored.apiKey).toBeUndefined();
    expect(stored.sharedSecret).toBeUndefined();
  });

  it('fails with exit 1 when the user refuses in the browser', async ({ fake, loginEnv }) => {
    const port = await unusedPort();
    const cli = await startCli(
      ['auth', 'login', '--no-browser', '--port', String(port), '--api-key', fake.keystring, '--shared-secret', fake.sharedSecret],
      { env: loginEnv(), ready: /Waiting for Etsy/ },
    );
    try {
      const authorize = new URL(authorizeUrlFrom(cli.stderr()));
      const denied = new URL(`http://localhost:${port}/oauth/redirect`);
      denied.searchParams.set('error', 'access_denied');
      denied.searchParams.set('error_description', 'The user denied the request');
      denied.searchParams.set('state', authorize.searchParams.get('state')!);
      const res = await fetch(denied);
      expect(res.status).toBe(400);
      await res.text();
      expect(await exited(cli.child)).toBe(1);
    } finally {
      await cli.stop();
    }
    expect(cli.stderr()).toMatch(/error: Etsy did not authorize etsyhook: access_denied: The user denied the request/);
    expect(fake.counts.tokenExchanges).toBe(0);
  });

  it('gives up after --timeout with exit 1', async ({ fake, loginEnv }) => {
    const port = await unusedPort();
    const r = await runCli(
      ['auth', 'login', '--no-browser', '--port', String(port), '--timeout', '1s', '--api-key', fake.keystring, '--shared-secret', fake.sharedSecret],
      { env: loginEnv() },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: no authorization arrived within 1s/);
  });

  it('without a terminal, a missing keystring or shared secret is a usage error naming the flag and the variable', async ({ fake, loginEnv }) => {
    const noKey = await runCli(['auth', 'login', '--no-browser'], { env: loginEnv() });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--api-key.*ETSY_API_KEY/);
    expect(noKey.stderr.trim().split('\n')).toHaveLength(1);

    const noSecret = await runCli(['auth', 'login', '--no-browser'], { env: loginEnv({ ETSY_API_KEY: fake.keystring }) });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/--shared-secret.*ETSY_SHARED_SECRET/);
  });

  it('rejects bad flags with exit 2 before listening', async ({ fake, loginEnv }) => {
    const env = loginEnv({ ETSY_API_KEY: fake.keystring, ETSY_SHARED_SECRET: fake.sharedSecret });
    const cases: [string[], RegExp][] = [
      [['--scopes', 'shop_r'], /unknown Etsy scope 'shop_r' \(did you mean shops_r/],
      [['--port', '70000'], /--port must be a whole number from 1 to 65535/],
      [['--port', 'abc'], /--port must be a whole number/],
      [['--timeout', 'soon'], /--timeout must be a duration/],
      [['--api-base', 'not a url'], /--api-base is not a valid URL/],
      [['--api-base', 'ftp://example.com'], /--api-base must be an http or https URL/],
      [['--authorize-url', '::'], /--authorize-url is not a valid URL/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['auth', 'login', '--no-browser', ...args], { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('says plainly when the callback port is taken (exit 2)', async ({ fake, loginEnv }) => {
    const blocker = createServer();
    const port = await unusedPort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const r = await runCli(['auth', 'login', '--no-browser', '--port', String(port)], {
        env: loginEnv({ ETSY_API_KEY: fake.keystring, ETSY_SHARED_SECRET: fake.sharedSecret }),
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  });
});

describe('auth status and logout', () => {
  it('status --json reports the stored login; logout forgets the tokens but keeps the app keys', async ({ fake, home }) => {
    storeLogin(home.dir, fake);
    const status = await runCli(['auth', 'status', '--json'], { env: cleanEnv(home.dir) });
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ loggedIn: true, userId: fake.userId, shopId: fake.shopId, scopes: ['shops_r', 'shops_w', 'transactions_r'] });
    expect(typeof s.expiresAt).toBe('string');
    expect(status.stdout).not.toContain(fake.issued.accessTokens[0]!);

    const out = await runCli(['auth', 'logout'], { env: cleanEnv(home.dir) });
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/Logged out/);
    const stored = readStoredConfig(home.dir);
    expect(stored.accessToken).toBeUndefined();
    expect(stored.refreshToken).toBeUndefined();
    expect(stored.userId).toBeUndefined();
    expect(stored.apiKey).toBe(fake.keystring);
    expect(statSync(join(home.dir, 'config.json')).mode & 0o777).toBe(0o600);

    // Not logged in exits 2, as configs does for the same cause; --json gives one object with the error inside.
    const after = await runCli(['auth', 'status', '--json'], { env: cleanEnv(home.dir) });
    expect(after.code).toBe(2);
    expect(JSON.parse(after.stdout)).toEqual({
      loggedIn: false,
      userId: null,
      shopId: null,
      scopes: [],
      expiresAt: null,
      error: { message: 'not logged in to Etsy: no stored login; run etsyhook auth login', code: 'not_logged_in' },
    });
    expect(after.stderr).toMatch(/not logged in to Etsy.*run etsyhook auth login/);

    const all = await runCli(['auth', 'logout', '--all', '--json'], { env: cleanEnv(home.dir) });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual({ loggedOut: true, forgot: ['apiKey', 'sharedSecret'] });
    expect(readStoredConfig(home.dir).apiKey).toBeUndefined();
  });

  it('status exits 2 when nothing is stored (as configs list does), with nothing on stdout for humans', async ({ home }) => {
    const r = await runCli(['auth', 'status'], { env: cleanEnv(home.dir) });
    expect(r.code).toBe(2);
    const configs = await runCli(['configs', 'list'], { env: cleanEnv(home.dir) });
    expect(configs.code).toBe(2);
    expect(configs.stderr).toMatch(/^error: not logged in to Etsy/);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: not logged in to Etsy/);
  });

  it('status counts a CI token from the environment as logged in', async ({ fake, home }) => {
    const t = fake.issueTokens();
    const r = await runCli(['auth', 'status', '--json'], {
      env: cleanEnv(home.dir, { ETSY_API_KEY: fake.keystring, ETSY_SHARED_SECRET: fake.sharedSecret, ETSY_ACCESS_TOKEN: t.accessToken }),
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ loggedIn: true, userId: fake.userId, expiresAt: null });
  });
});

describe('auth login opening the browser', () => {
  /** A stand-in `xdg-open` on PATH that records its call and exits with `code`. */
  function opener(dir: string, code: number): string {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$1" > "${join(dir, 'opened')}"\nexit ${code}\n`, { mode: 0o755 });
    return `${bin}:${process.env.PATH ?? ''}`;
  }

  const OPENED = /\(opened in your browser\)/;
  const OPEN_IT = /\(no browser could be opened here: open the URL above yourself\)/;
  // [name, display variables, the opener's exit code, what is said, whether the opener ran]
  const cases: [string, Record<string, string | undefined>, number, RegExp, boolean][] = [
    ['a display and an opener that exits 0: says it opened it', { DISPLAY: ':0' }, 0, OPENED, true],
    ['no DISPLAY nor WAYLAND_DISPLAY: asks the user to open it', { DISPLAY: undefined, WAYLAND_DISPLAY: undefined }, 0, OPEN_IT, false],
    ['a display but an opener that fails: asks the user to open it', { WAYLAND_DISPLAY: 'wayland-0', DISPLAY: undefined }, 3, OPEN_IT, true],
  ];
  for (const [name, display, code, said, ran] of cases) {
    // The display rule is for X11/Wayland; macOS and Windows always have a browser to show.
    it.skipIf(process.platform === 'darwin' || process.platform === 'win32')(name, async ({ fake, home }) => {
      const env = cleanEnv(home.dir, { ETSY_API_BASE: fake.apiBase, ETSY_OAUTH_AUTHORIZE_URL: fake.authorizeUrl, CI: undefined, PATH: opener(home.dir, code), ...display });
      const port = await unusedPort();
      const cli = await startCli(['auth', 'login', '--port', String(port), '--api-key', fake.keystring, '--shared-secret', fake.sharedSecret], { env, ready: /Waiting for Etsy/ });
      try {
        expect(cli.stderr()).toMatch(said);
        expect(OPENED.test(cli.stderr())).toBe(said === OPENED);
        expect(existsSync(join(home.dir, 'opened'))).toBe(ran);
      } finally {
        await cli.stop();
      }
    });
  }
});
