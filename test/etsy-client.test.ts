// The Etsy API client through the CLI: rate limits, retries (never a POST twice), timeouts, token refresh,
// masking in --verbose, and proxies — all against the fake Etsy over real loopback HTTP.
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect } from 'vitest';
import { cleanEnv, runCli } from './support/index.js';
import { it as etsyTest, readStoredConfig, storeLogin, tokenEnv, type EtsyFixtures } from './support/fake-etsy.js';

// A CI job here names its shop (ETSY_SHOP_ID), so no command asks users/me for it.
const it = etsyTest.extend<Pick<EtsyFixtures, 'ciEnv'>>({
  ciEnv: async ({ fake, home }, use) => {
    await use((extra = {}) => tokenEnv(fake, home.dir, { ETSY_SHOP_ID: String(fake.shopId), ...extra }));
  },
});

const LIST = /push-configurations$/;
const create = ['configs', 'create', '--url', 'https://example.com/etsy', '--events', 'order.paid'];

describe('rate limits', () => {
  it('a 429 waits retry-after, says so on stderr, and retries', async ({ fake, ciEnv }) => {
    fake.failNext({ kind: '429', retryAfter: 1 }, { path: LIST });
    const started = Date.now();
    const r = await runCli(['configs', 'list', '--json'], { env: ciEnv() });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(r.stderr).toMatch(/rate limit reached; waiting 1s before retrying/);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(fake.hits(LIST).length).toBe(2);
  });

  it('a 429 on a POST is retried too (Etsy refused it, so nothing was created)', async ({ fake, ciEnv }) => {
    fake.failNext({ kind: '429', retryAfter: 1 }, { method: 'POST' });
    const r = await runCli(create, { env: ciEnv() });
    expect(r.code).toBe(0);
    expect(fake.configs.size).toBe(1);
  });

  it('a retry-after beyond the bound fails at once and says when to come back', async ({ fake, ciEnv }) => {
    fake.failNext({ kind: '429', retryAfter: 3600 }, { path: LIST });
    const started = Date.now();
    const r = await runCli(['configs', 'list'], { env: ciEnv() });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/error: Etsy API error 429: .*retry after 3600s/);
    expect(fake.hits(LIST).length).toBe(1);
  });
});

describe('retries', () => {
  it('a 500 on a GET is retried with backoff', async ({ fake, ciEnv }) => {
    fake.failNext({ kind: '500' }, { path: LIST }, 2);
    const r = await runCli(['configs', 'list', '--json'], { env: ciEnv() });
    expect(r.code).toBe(0);
    expect(fake.hits(LIST).length).toBe(3);
    expect(r.stderr).toMatch(/Etsy answered 500 to GET .*; retrying in/);
  });

  it('a GET that keeps failing ends with the one-line error and the status (exit 1)', async ({ fake, ciEnv }) => {
    fake.failNext({ kind: '500' }, { path: LIST }, 10);
    const r = await runCli(['configs', 'list'], { env: ciEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Etsy API error 500: Internal Server Error$/m);
    expect(fake.hits(LIST).length).toBe(4);
  });

  it('a 503 on DELETE is retried', async ({ fake, ciEnv }) => {
    const c = fake.addConfig('https://example.com/etsy', ['order.paid']);
    fake.failNext({ kind: '503', retryAfter: 0 }, { method: 'DELETE' });
    const r = await runCli(['configs', 'delete', String(c.id), '--yes'], { env: ciEnv() });
    expect(r.code).toBe(0);
    expect(fake.configs.size).toBe(0);
  });

  it('a 500 on a POST is NOT retried: no duplicate configuration', async ({ fake, ciEnv }) => {
    fake.failNext({ kind: '500' }, { method: 'POST' });
    const r = await runCli(create, { env: ciEnv() });
    expect(r.code).toBe(1);
    expect(fake.counts.createAttempts).toBe(1);
    expect(fake.configs.size).toBe(1); // it reached Etsy; a retry would have made two
    expect(r.stderr).toMatch(/error: Etsy API error 500: Internal Server Error; not retried automatically/);
  });

  it('a dropped connection on a GET is retried', async ({ fake, ciEnv }) => {
    fake.failNext({ kind: 'drop' }, { path: LIST });
    const r = await runCli(['configs', 'list', '--json'], { env: ciEnv() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/cannot reach 127\.0\.0\.1:\d+ .*retrying/);
  });

  it('an unreachable API fails with one line naming the host (exit 1)', async ({ fake, ciEnv }) => {
    await fake.close();
    const r = await runCli(['configs', 'list'], { env: ciEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: GET .* failed: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/m);
  });
});

describe('timeouts', () => {
  it('a slow answer to a GET times out per request and is retried', async ({ fake, ciEnv }) => {
    fake.failNext({ kind: 'slow', delayMs: 3000 }, { path: LIST });
    const started = Date.now();
    const r = await runCli(['configs', 'list', '--json', '--timeout', '400ms'], { env: ciEnv() });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(r.stderr).toMatch(/no answer from 127\.0\.0\.1:\d+ within 400 ms; retrying/);
  });

  it('a slow answer to a POST times out and is not repeated', async ({ fake, ciEnv }) => {
    fake.failNext({ kind: 'slow', delayMs: 2000 }, { method: 'POST' });
    const r = await runCli([...create, '--timeout', '300ms'], { env: ciEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: POST .* failed: no answer from .* within 300 ms; not retried automatically/);
    expect(fake.counts.createAttempts).toBe(1);
  });
});

describe('tokens', () => {
  it('an expired stored token is refreshed before the call and the new tokens stored (0600)', async ({ fake, home }) => {
    const old = storeLogin(home.dir, fake, { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    fake.expire(old.accessToken);
    const r = await runCli(['configs', 'list', '--json', '--api-base', fake.apiBase], { env: cleanEnv(home.dir) });
    expect(r.code, r.stderr).toBe(0);
    expect(fake.counts.refreshes).toBe(1);
    // Refreshed first: no request went out with the expired token.
    expect(fake.requests.filter((q) => q.headers.authorization === `Bearer ${old.accessToken}`)).toHaveLength(0);
    const stored = readStoredConfig(home.dir);
    expect(stored.accessToken).not.toBe(old.accessToken);
    expect(stored.refreshToken).not.toBe(old.refreshToken);
    expect(Date.parse(String(stored.expiresAt))).toBeGreaterThan(Date.now() + 3000_000);
    expect(statSync(join(home.dir, 'config.json')).mode & 0o777).toBe(0o600);

    // The next run uses the new token without refreshing again.
    const again = await runCli(['configs', 'list', '--json', '--api-base', fake.apiBase], { env: cleanEnv(home.dir) });
    expect(again.code).toBe(0);
    expect(fake.counts.refreshes).toBe(1);
  });

  it('a 401 refreshes once and retries; tokens from the environment are not written to disk', async ({ fake, home, ciEnv }) => {
    const t = fake.issueTokens();
    fake.expire(t.accessToken);
    const r = await runCli(['configs', 'list', '--json'], {
      env: ciEnv({ ETSY_ACCESS_TOKEN: t.accessToken, ETSY_REFRESH_TOKEN: t.refreshToken }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(fake.counts.refreshes).toBe(1);
    expect(fake.hits(LIST).length).toBe(2);
    let stored: Record<string, unknown> = {};
    try {
      stored = readStoredConfig(home.dir);
    } catch {
      /* no file at all is fine too */
    }
    expect(stored.accessToken).toBeUndefined();
  });

  it('a refused refresh says to run etsyhook auth login (exit 1)', async ({ fake, home }) => {
    storeLogin(home.dir, fake, { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    fake.refuseRefresh = true;
    const r = await runCli(['configs', 'list', '--api-base', fake.apiBase], { env: cleanEnv(home.dir) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Etsy refused to refresh the access token \(.*invalid_grant.*\); run etsyhook auth login$/m);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a rejected token with no refresh token says so (exit 1)', async ({ fake, ciEnv }) => {
    const r = await runCli(['configs', 'list'], { env: ciEnv({ ETSY_ACCESS_TOKEN: `${fake.userId}.forged` }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Etsy rejected the access token .*run etsyhook auth login/);
  });

  it('a wrong shared secret is a one-line 401 with the API message', async ({ ciEnv }) => {
    const r = await runCli(['configs', 'list'], { env: ciEnv({ ETSY_SHARED_SECRET: 'wrong' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Etsy API error 401: Invalid API key/);
    expect(r.stderr).not.toContain('wrong');
  });
});

describe('--verbose', () => {
  it('shows each request and the rate limit left, with every secret masked', async ({ fake, home }) => {
    const old = storeLogin(home.dir, fake, { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    fake.expire(old.accessToken);
    const r = await runCli(['configs', 'list', '--verbose', '--api-base', fake.apiBase], { env: cleanEnv(home.dir) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/→ POST http:\/\/127\.0\.0\.1:\d+\/v3\/public\/oauth\/token \(form: grant_type=refresh_token\)/);
    expect(r.stderr).toMatch(/→ GET http:\/\/127\.0\.0\.1:\d+\/v3\/application\/shops\/\d+\/push-configurations\?limit=100&offset=0/);
    expect(r.stderr).toMatch(/← 200 GET .* rate limit left: 9\/10 this second, \d+\/10000 today/);
    expect(r.stderr).toMatch(/authorization: Bearer \d+\.••••/);
    const everything = r.stdout + r.stderr;
    for (const secret of [fake.sharedSecret, fake.keystring, ...fake.issued.accessTokens, ...fake.issued.refreshTokens]) {
      expect(everything).not.toContain(secret);
    }
    for (const token of [...fake.issued.accessTokens, ...fake.issued.refreshTokens]) {
      expect(everything).not.toContain(token.split('.')[1]!);
    }
  });
});

describe('proxies', () => {
  let proxy: Server;
  let tunnels: string[];
  beforeEach(async () => {
    tunnels = [];
    proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, socket, head) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host!, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    proxy.closeAllConnections();
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  const proxyUrl = (): string => `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;

  it('goes through HTTP_PROXY / HTTPS_PROXY when set', async ({ fake, ciEnv }) => {
    const r = await runCli(['configs', 'list', '--json'], { env: ciEnv({ HTTP_PROXY: proxyUrl(), HTTPS_PROXY: proxyUrl(), NO_PROXY: '' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(tunnels[0]).toBe(new URL(fake.apiBase).host);
  });

  it('honours NO_PROXY', async ({ ciEnv }) => {
    const r = await runCli(['configs', 'list', '--json'], { env: ciEnv({ HTTP_PROXY: proxyUrl(), NO_PROXY: '127.0.0.1' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(tunnels).toHaveLength(0);
  });
});
