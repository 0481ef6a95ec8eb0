// `etsyhook configs list | create | delete` through the built CLI against the fake Etsy API.
import { spawn } from 'node:child_process';
import { describe, expect } from 'vitest';
import { BIN, cleanEnv, runCli } from './support/index.js';
import { it, storeLogin } from './support/fake-etsy.js';

describe('configs list', () => {
  it('an empty shop: nothing on stdout for humans, [] with --json', async ({ fake, ciEnv }) => {
    const env = ciEnv();
    const human = await runCli(['configs', 'list'], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(new RegExp(`Shop ${fake.shopId} has no push configurations`));

    const json = await runCli(['configs', 'list', '--json'], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    // The shop came from users/me, with the bearer token and the keystring:secret on every request.
    expect(fake.hits(/\/users\/me$/).length).toBe(2);
    for (const r of fake.requests) {
      expect(r.headers['x-api-key']).toBe(`${fake.keystring}:${fake.sharedSecret}`);
      expect(r.headers.authorization).toMatch(/^Bearer \d+\./);
    }
  });

  it('prints a table for humans and the API array, exactly, with --json', async ({ fake, ciEnv }) => {
    const a = fake.addConfig('https://example.com/etsy/a', ['order.paid', 'order.shipped']);
    const b = fake.addConfig('https://example.com/etsy/b', ['order.canceled']);
    const env = ciEnv();
    const human = await runCli(['configs', 'list'], { env });
    expect(human.code).toBe(0);
    // The one table style (as events list): lower-case headers, no borders, nothing cut off a terminal.
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+url\s+events\s+created$/);
    expect(human.stdout).not.toContain('…');
    expect(human.stdout).toContain(String(a.id));
    expect(human.stdout).toContain('https://example.com/etsy/a');
    expect(human.stdout).toContain('order.paid,order.shipped');
    // Local time, as every table and dev's lines.
    const d = new Date(a.created_timestamp * 1000);
    const p = (n: number): string => String(n).padStart(2, '0');
    expect(human.stdout).toContain(`${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`);
    expect(human.stdout).toContain(String(b.id));
    expect(human.stderr).toMatch(/2 push configurations for shop/);

    const json = await runCli(['configs', 'list', '--json'], { env });
    expect(json.code).toBe(0);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toEqual([a, b]);
  });

  it('pages through more than 100 configurations', async ({ fake, ciEnv }) => {
    for (let i = 0; i < 130; i++) fake.addConfig(`https://example.com/hook/${i}`, ['order.paid']);
    const r = await runCli(['configs', 'list', '--json'], { env: ciEnv() });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(130);
    const pages = fake.hits(/push-configurations$/, 'GET');
    expect(pages.length).toBe(2);
  });

  it('takes the shop from --shop or ETSY_SHOP_ID without calling users/me', async ({ fake, ciEnv }) => {
    const viaFlag = await runCli(['configs', 'list', '--json', '--shop', String(fake.shopId)], { env: ciEnv() });
    expect(viaFlag.code).toBe(0);
    const viaEnv = await runCli(['configs', 'list', '--json'], { env: ciEnv({ ETSY_SHOP_ID: String(fake.shopId) }) });
    expect(viaEnv.code).toBe(0);
    expect(fake.hits(/\/users\/me$/).length).toBe(0);

    const bad = await runCli(['configs', 'list', '--shop', 'my-shop'], { env: ciEnv() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shop must be a numeric Etsy shop id, got 'my-shop'/);
    const badEnv = await runCli(['configs', 'list'], { env: ciEnv({ ETSY_SHOP_ID: 'x1' }) });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/ETSY_SHOP_ID must be a numeric Etsy shop id/);
  });

  it('uses a stored login (auth login) with no variables at all', async ({ fake, home }) => {
    storeLogin(home.dir, fake);
    fake.addConfig('https://example.com/etsy', ['order.paid']);
    const r = await runCli(['configs', 'list', '--json', '--api-base', fake.apiBase], { env: cleanEnv(home.dir) });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(1);
    expect(fake.hits(/\/users\/me$/).length).toBe(0); // the stored shop id
  });
});

describe('configs create', () => {
  it('creates a configuration and prints its id (the object with --json)', async ({ fake, ciEnv }) => {
    const env = ciEnv();
    const r = await runCli(['configs', 'create', '--url', 'https://example.com/etsy', '--events', 'order.paid, order.shipped'], { env });
    expect(r.code).toBe(0);
    const [created] = [...fake.configs.values()];
    expect(created).toMatchObject({ url: 'https://example.com/etsy', events: ['order.paid', 'order.shipped'] });
    expect(r.stdout).toBe(`${created!.id}\n`);
    expect(r.stderr).toMatch(/Created push configuration/);

    const json = await runCli(['configs', 'create', '--url', 'https://example.com/other', '--events', 'order.paid', '--json'], { env });
    expect(json.code).toBe(0);
    const obj = JSON.parse(json.stdout) as { id: number; url: string };
    expect(obj.url).toBe('https://example.com/other');
    expect(fake.configs.get(obj.id)).toEqual(obj);
    expect(fake.counts.createAttempts).toBe(2);
  });

  it('rejects bad input with exit 2 before any request, naming the flag', async ({ fake, ciEnv }) => {
    const env = ciEnv();
    const cases: [string[], RegExp][] = [
      [['--events', 'order.paid'], /--url is required when not on an interactive terminal/],
      [['--url', 'https://example.com/h'], /--events is required when not on an interactive terminal/],
      [['--url', 'http://example.com/h', '--events', 'order.paid'], /--url: Etsy delivers only to https URLs/],
      [['--url', 'example.com', '--events', 'order.paid'], /--url: not a valid URL/],
      [['--url', 'https://example.com/h', '--events', 'order.payed'], /unknown event type 'order.payed' \(did you mean order.paid/],
      [['--url', 'https://example.com/h', '--events', ' , '], /--events is empty/],
      [['--url', 'https://example.com/h', '--events', 'order.paid', '--timeout', '0s'], /--timeout must be more than zero/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['configs', 'create', ...args], { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(fake.requests.length).toBe(0);
  });
});

describe('configs delete', () => {
  it('needs --yes without a terminal, then deletes', async ({ fake, ciEnv }) => {
    const c = fake.addConfig('https://example.com/etsy', ['order.paid']);
    const env = ciEnv();
    const refused = await runCli(['configs', 'delete', String(c.id)], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    expect(fake.configs.has(c.id)).toBe(true);

    const r = await runCli(['configs', 'delete', String(c.id), '--yes', '--json'], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ deleted: true, id: c.id, shopId: fake.shopId });
    expect(fake.configs.has(c.id)).toBe(false);
  });

  it('an unknown id says so (exit 1); a malformed id is a usage error', async ({ fake, ciEnv }) => {
    const env = ciEnv();
    const r = await runCli(['configs', 'delete', '999', '--yes'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`error: shop ${fake.shopId} has no push configuration with id 999`));
    const bad = await runCli(['configs', 'delete', '../1', '--yes'], { env });
    expect(bad.code).toBe(2);
  });
});

/**
 * Run the CLI on a pseudo-terminal (util-linux `script`), so that it asks; `answer` is typed once `prompt` shows.
 * Resolves with everything the terminal showed and the exit code.
 */
function onTerminal(args: string[], env: NodeJS.ProcessEnv, prompt: RegExp, answer: string): Promise<{ code: number | null; screen: string; asked: boolean }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...env, CI: undefined, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let asked = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString('utf8');
      if (!asked && prompt.test(screen)) {
        asked = true;
        child.stdin.write(answer);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen, asked });
    });
  });
}

describe('configs delete on a terminal', () => {
  it('shows the configuration it will delete before asking; no is no', async ({ fake, ciEnv }) => {
    const c = fake.addConfig('https://example.com/etsy/kept', ['order.paid', 'order.shipped']);
    const r = await onTerminal(['configs', 'delete', String(c.id)], ciEnv(), /Delete push configuration/, 'n\r');
    expect(r.asked).toBe(true);
    // The prompt wraps at the terminal's width: join its lines back.
    expect(r.screen.replace(/\r\n/g, '')).toMatch(new RegExp(`Delete push configuration ${c.id} \\(https://example\\.com/etsy/kept; order\\.paid, order\\.shipped\\) of shop ${fake.shopId}\\?`));
    expect(r.screen).toMatch(/error: cancelled; nothing deleted/);
    expect(r.code).toBe(1);
    expect(fake.configs.has(c.id)).toBe(true);
  });

  it('an unknown id fails before any question (exit 1)', async ({ fake, ciEnv }) => {
    fake.addConfig('https://example.com/etsy/other', ['order.paid']);
    const r = await onTerminal(['configs', 'delete', '999'], ciEnv(), /Delete push configuration/, 'y\r');
    expect(r.asked).toBe(false);
    expect(r.screen).toMatch(new RegExp(`error: shop ${fake.shopId} has no push configuration with id 999`));
    expect(r.code).toBe(1);
    expect(fake.requests.filter((q) => q.method === 'DELETE')).toEqual([]);
  });
});

describe('when Etsy manages endpoints only in its webhook portal', () => {
  it.for([404, 403] as const)('a %i on push-configuration paths says so plainly (exit 1, one line)', async (status, { fake, ciEnv }) => {
    fake.portalOnly = status;
    const env = ciEnv({ ETSY_SHOP_ID: String(fake.shopId) });
    for (const args of [
      ['configs', 'list'],
      ['configs', 'create', '--url', 'https://example.com/h', '--events', 'order.paid'],
      ['configs', 'delete', '12', '--yes'],
    ]) {
      const r = await runCli(args, { env });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`Etsy answered ${status} for push configurations`));
      expect(r.stderr).toMatch(/webhook portal/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    }
  });
});

describe('credentials in CI', () => {
  it('missing variables are a usage error (exit 2) naming the variable', async ({ fake, home }) => {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /ETSY_API_KEY/],
      [{ ETSY_API_KEY: 'k' }, /ETSY_SHARED_SECRET/],
      [{ ETSY_API_KEY: 'k', ETSY_SHARED_SECRET: 's' }, /ETSY_ACCESS_TOKEN/],
    ];
    for (const [vars, message] of cases) {
      const r = await runCli(['configs', 'list'], { env: cleanEnv(home.dir, { ETSY_API_BASE: fake.apiBase, ...vars }) });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/run etsyhook auth login/);
    }
    expect(fake.requests.length).toBe(0);
  });

  it('a bad ETSY_API_BASE is a usage error naming the variable', async ({ ciEnv }) => {
    const r = await runCli(['configs', 'list'], { env: ciEnv({ ETSY_API_BASE: 'localhost:1234' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ETSY_API_BASE must be an http or https URL/);
  });
});
