// The tunnel: the fake seam (ETSYHOOK_TUNNEL=fake) for the public URL, drops and --register; the real ngrok module's
// error paths (no token, no network, an ngrok that never answers), which must fail within seconds in one line.
import { existsSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { cleanEnv, it, newHome, post, runCli, SECRET, signed, startCli, startDev, waitFor } from './support/index.js';
import { startFakeEtsy, storeLogin } from './support/fake-etsy.js';

const FAKE = { ETSYHOOK_TUNNEL: 'fake', ETSYHOOK_FAKE_TUNNEL_URL: 'https://shop-dev.ngrok.app' };

function noStack(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/Error:|TypeError|node:internal/);
}

describe('the tunnel seam', () => {
  it('ETSYHOOK_TUNNEL takes only fake or ngrok: a module path is refused (exit 2) and never imported', async ({ home }) => {
    const marker = join(home.dir, 'imported');
    const module = join(home.dir, 'tunnel.mjs');
    writeFileSync(module, `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x');\nexport async function openTunnel() { return { url: 'https://x', close: async () => {} }; }\n`);
    const r = await runCli(['dev', '--port', '0'], { env: { ...home.env, ETSYHOOK_TUNNEL: module } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ETSYHOOK_TUNNEL must be fake or ngrok, got '${module}'`);
    noStack(r.stderr);
    expect(existsSync(marker)).toBe(false);
  });

  it('shows the public URL with the path, and keeps receiving', async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--tunnel'], { env: FAKE });
    expect(dev.stderr()).toMatch(/Public +https:\/\/shop-dev\.ngrok\.app\/webhook/);
    expect((await post(dev.url, signed())).status).toBe(200);
    expect(await dev.stop('SIGINT')).toBe(130);
  });

  it('a tunnel that drops and comes back: a warning, then "back", and the receiver stays up', async ({ cleanups }) => {
    const dev = await startDev(cleanups, ['--tunnel'], { env: { ...FAKE, ETSYHOOK_FAKE_TUNNEL_DROP_MS: '200', ETSYHOOK_FAKE_TUNNEL_BACK_MS: '200', ETSYHOOK_TUNNEL_GIVE_UP_MS: '5000' } });
    await waitFor('reconnection', () => /tunnel is back/.test(dev.stderr()), 5000);
    expect(dev.stderr()).toMatch(/the ngrok tunnel dropped \(fake tunnel dropped\); reconnecting…/);
    expect((await post(dev.url, signed())).status).toBe(200);
    expect(await dev.stop('SIGTERM')).toBe(0);
  });

  it('a tunnel that does not come back: exit 1 with one line, never a silent stall', async ({ home: h }) => {
    const started = Date.now();
    const r = await runCli(['dev', '--port', '0', '--secret', SECRET], {
      env: cleanEnv(h.dir, { ...FAKE, ETSYHOOK_FAKE_TUNNEL_DROP_MS: '300', ETSYHOOK_TUNNEL_GIVE_UP_MS: '500' }),
      timeoutMs: 10_000,
    });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.stderr).toMatch(/^error: the tunnel dropped and did not come back within 1 s: fake tunnel dropped; /m);
    noStack(r.stderr);
  });
});

describe('the real ngrok module', () => {
  it('no authtoken: one line saying how to set one or use --no-tunnel, exit 1', async ({ home: h }) => {
    const started = Date.now();
    const r = await runCli(['dev', '--port', '0', '--secret', SECRET], { env: cleanEnv(h.dir) });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: no ngrok authtoken, so no public tunnel; set NGROK_AUTHTOKEN or run `etsyhook config set ngrok-authtoken <token>`.*or use --no-tunnel$/)]);
  });

  it('a token but no way to reach ngrok: fails within seconds, one line, exit 1, no stack', async ({ home: h }) => {
    // The token comes from the stored config this time.
    const set = await runCli(['config', 'set', 'ngrok-authtoken', '2bogusTokenForTests_abcdefghijklmnop'], { env: cleanEnv(h.dir) });
    expect(set.code).toBe(0);
    const started = Date.now();
    const r = await runCli(['dev', '--port', '0', '--secret', SECRET], { env: cleanEnv(h.dir), timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(13_000);
    const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ngrok/);
    expect(errors[0]).toMatch(/--no-tunnel/);
    expect(r.stderr).not.toContain('2bogusTokenForTests_abcdefghijklmnop');
    noStack(r.stderr);
  });

  it('an ngrok service that accepts the connection and never answers: gives up at the 10 s deadline', async ({ cleanups, home: h }) => {
    const sockets: Socket[] = [];
    const blackhole = createTcpServer((s) => sockets.push(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          blackhole.close(() => r());
        }),
    );
    const addr = blackhole.address() as { port: number };
    const started = Date.now();
    const r = await runCli(['dev', '--port', '0', '--secret', SECRET], {
      env: cleanEnv(h.dir, { NGROK_AUTHTOKEN: '2bogusTokenForTests_abcdefghijklmnop', ETSYHOOK_NGROK_SERVER_ADDR: `127.0.0.1:${addr.port}` }),
      timeoutMs: 25_000,
    });
    const took = Date.now() - started;
    expect(r.code).toBe(1);
    expect(took).toBeGreaterThanOrEqual(9_000);
    expect(took).toBeLessThan(15_000);
    expect(r.stderr.trim().split('\n')).toEqual(['error: could not reach ngrok within 10 s; check the network connection, or use --no-tunnel']);
  }, 30_000);
});

describe('dev --register', () => {
  it('creates a push configuration for the public URL and deletes it on exit', async ({ cleanups }) => {
    const fake = await startFakeEtsy();
    cleanups.push(() => fake.close());
    const h = newHome(cleanups, { ...FAKE, ETSY_API_BASE: fake.apiBase });
    storeLogin(h.dir, fake);
    const dev = await startDev(cleanups, ['--tunnel', '--register', '--events', 'order.*'], { home: h });
    expect(dev.stderr()).toMatch(/registered push configuration \d+ for shop 31415926 \(order\.paid, order\.canceled, order\.shipped, order\.delivered\)/);
    const configs = [...fake.configs.values()];
    expect(configs).toHaveLength(1);
    expect(configs[0]!.url).toBe('https://shop-dev.ngrok.app/webhook');
    expect(await dev.stop('SIGINT')).toBe(130);
    expect(fake.configs.size).toBe(0);
    expect(dev.stderr()).toMatch(/deleted push configuration \d+/);
  });

  it('when Etsy refuses, says why and keeps receiving', async ({ cleanups }) => {
    const fake = await startFakeEtsy();
    cleanups.push(() => fake.close());
    fake.portalOnly = 404;
    const h = newHome(cleanups, { ...FAKE, ETSY_API_BASE: fake.apiBase });
    storeLogin(h.dir, fake);
    const dev = await startDev(cleanups, ['--tunnel', '--register'], { home: h });
    expect(dev.stderr()).toMatch(/warning: could not register the public URL with Etsy: .*\(still receiving\)/);
    expect((await post(dev.url, signed())).status).toBe(200);
    expect(await dev.stop('SIGINT')).toBe(130);
  });

  it('--register without the tunnel is a usage error', async ({ home: h }) => {
    const r = await runCli(['dev', '--no-tunnel', '--register'], { env: cleanEnv(h.dir) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--register needs the public tunnel URL/);
  });
});

void startCli;
