// Reliability 5: every command, run with a known webhook secret, API token, refresh token, shared secret and ngrok
// authtoken, prints none of them (nor any 10-character piece of one) on stdout or stderr unless asked for
// (`--print-secret`); the config file is mode 0600. The asked-for cases are checked too, to prove the check sees.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import {
  recorder, cleanEnv, generateSecret, it, launchDev, newHome, orderBody, recordFigure, runCli, send, signHeaders, startDev, unusedPort, type Scope,
} from '../support/index.js';

const SECRET = generateSecret();
const TOKEN = `12345678.${randomBytes(30).toString('base64url')}`;
const REFRESH = `12345678.${randomBytes(30).toString('base64url')}`;
const SHARED = `shh${randomBytes(12).toString('hex')}`;
const NGROK = `2ng${randomBytes(20).toString('hex')}`;
const API_KEY = `key${randomBytes(12).toString('hex')}`;
const BAD_SECRET = `whsec_${randomBytes(20).toString('hex')}!!`;

/** The secret parts: the whole value and every 10-character window of it (a mask may keep a few characters). */
const SECRETS: Record<string, string> = {
  'webhook secret': SECRET.slice('whsec_'.length),
  'access token': TOKEN.slice('12345678.'.length),
  'refresh token': REFRESH.slice('12345678.'.length),
  'shared secret': SHARED,
  'ngrok authtoken': NGROK,
  'malformed secret': BAD_SECRET.slice('whsec_'.length),
};

function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(SECRETS)) {
    for (let i = 0; i + 10 <= value.length; i++) {
      if (text.includes(value.slice(i, i + 10))) {
        found.push(name);
        break;
      }
    }
  }
  return found;
}

/** A fake Etsy API that accepts anything: users/me, push configurations, receipts. */
async function fakeApi(cleanups: Scope): Promise<string> {
  const api = await recorder(cleanups, {
    path: '/v3',
    headers: { 'x-limit-per-second': '10', 'x-remaining-this-second': '9' },
    body: ({ url, method }) => {
      if (url.includes('/users/me')) return '{"user_id":12345678,"shop_id":456}';
      if (url.includes('push-configurations') && method === 'POST') return '{"push_configuration_id":2,"url":"https://example.test/hook","events":["order.paid"],"create_timestamp":1700000000}';
      if (url.includes('push-configurations') && method === 'DELETE') return '{}';
      if (url.includes('push-configurations')) return '{"count":1,"results":[{"push_configuration_id":1,"url":"https://example.test/hook","events":["order.paid"],"create_timestamp":1700000000}]}';
      if (url.includes('/oauth/token')) return JSON.stringify({ access_token: TOKEN, refresh_token: REFRESH, expires_in: 3600, token_type: 'Bearer' });
      return '{"receipt_id":1,"shop_id":456,"status":"paid"}';
    },
  });
  return api.url;
}

describe('secrets stay secret', () => {
  it('no command prints a known secret or token unless asked; the config file is 0600', async ({ cleanups, home }) => {
    const h = home.dir;
    const api = await fakeApi(cleanups);
    const target = await recorder(cleanups);
    const env = cleanEnv(h, {
      ETSY_WEBHOOK_SECRET: SECRET,
      ETSY_ACCESS_TOKEN: TOKEN,
      ETSY_REFRESH_TOKEN: REFRESH,
      ETSY_API_KEY: API_KEY,
      ETSY_SHARED_SECRET: SHARED,
      NGROK_AUTHTOKEN: NGROK,
      ETSY_API_BASE: api,
      ETSY_SHOP_ID: '456',
    });
    const checked: string[] = [];
    const problems: string[] = [];
    const check = (label: string, out: string): void => {
      checked.push(label);
      const l = leaks(out);
      if (l.length > 0) problems.push(`${label}: prints the ${l.join(', ')}`);
    };
    const codes: string[] = [];
    /** Run a command; `ok` says it must succeed (so the check covers its real output, not an early error). */
    const run = async (args: string[], input?: string, timeoutMs = 20_000, ok = true): Promise<{ code: number | null; stdout: string }> => {
      const r = await runCli(args, { env, ...(input === undefined ? {} : { input }), timeoutMs });
      check(`etsyhook ${args.join(' ')}`, r.stdout + r.stderr);
      codes.push(`${args.slice(0, 2).join(' ')} → ${r.code}`);
      if (ok && r.code !== 0) problems.push(`etsyhook ${args.join(' ')} should succeed, exited ${r.code}: ${r.stderr.slice(0, 300)}`);
      return r;
    };
    const fails = (args: string[], input?: string): Promise<{ code: number | null; stdout: string }> => run(args, input, 20_000, false);

    // The receiver, with the secret from the environment; a few requests so its per-request lines show too.
    for (const extra of [[], ['--json'], ['--verbose']]) {
      const dev = await launchDev({ env, args: ['--forward-to', target.url, ...extra] });
      cleanups.push(() => dev.stop('SIGKILL'));
      const body = orderBody();
      await send(dev.url, { body, headers: signHeaders(SECRET, body) });
      await send(dev.url, { body, headers: signHeaders(generateSecret(), body) });
      await dev.stop('SIGTERM');
      check(`etsyhook dev --no-tunnel ${extra.join(' ')}`, dev.stdout() + dev.stderr());
    }
    const dev = await startDev(cleanups, [], { home: h, secret: null, env: { ETSY_WEBHOOK_SECRET: SECRET, NGROK_AUTHTOKEN: NGROK } });

    const body = orderBody();
    await run(['--help']);
    await run(['--version']);
    await run(['dev', '--help']);
    await run(['sign'], body);
    await run(['sign', '--secret', SECRET, '--json'], body);
    await run(['sign', '--secret', SECRET, '--curl', dev.url], body);
    await run(['sign', '--secret', SECRET, '--scheme', 'legacy'], body);
    await fails(['sign', '--secret', BAD_SECRET], body);
    const hd = signHeaders(SECRET, body);
    const hdrArgs = Object.entries(hd).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);
    await run(['verify', ...hdrArgs], body);
    await run(['verify', '--secret', SECRET, '--json', ...hdrArgs], body);
    await fails(['verify', '--secret', SECRET, ...hdrArgs], `${body} `);
    await fails(['verify', '--secret', BAD_SECRET, ...hdrArgs], body);
    await run(['send', 'order.paid', '--to', dev.url]);
    await run(['send', 'order.paid', '--to', dev.url, '--json']);
    await run(['send', 'order.paid', '--to', dev.url, '--verbose']);
    await fails(['send', 'order.paid', '--to', dev.url, '--scheme', 'legacy', '--secret', SHARED]);
    await run(['send', 'order.paid', '--to', dev.url, '--count', '5', '--concurrency', '2', '--json']);
    await fails(['send', 'order.paid', '--to', `http://127.0.0.1:${await unusedPort()}/webhook`]);
    await fails(['send', 'order.paid', '--to', dev.url, '--secret', BAD_SECRET]);
    const listed = await run(['events', 'list', '--json']);
    const id = (JSON.parse(listed.stdout) as { id: string }[])[0]!.id;
    await run(['events', 'list']);
    await run(['events', 'show', id]);
    await run(['events', 'show', id, '--json']);
    await run(['events', 'show', id, '--verbose']);
    await fails(['events', 'show', id, '--expand', '--verbose']);
    await run(['replay', id, '--to', target.url, '--json']);
    await run(['replay', id, '--to', target.url, '--resign', '--verbose']);
    await run(['replay', '--since', '1h', '--to', target.url, '--resign', '--new-id']);
    await run(['replay', '--since', '1h', '--dry-run']);
    await run(['tail', '--since', '1h', '--json'], undefined, 2500, false);
    await run(['tail', '--since', '1h', '--verbose'], undefined, 2500, false);
    await run(['auth', 'status']);
    await run(['auth', 'status', '--json']);
    await run(['auth', 'status', '--verbose']);
    await run(['configs', 'list']);
    await run(['configs', 'list', '--json', '--verbose']);
    await run(['configs', 'create', '--url', 'https://example.test/hook', '--events', 'order.paid', '--verbose']);
    await run(['configs', 'delete', '1', '--yes', '--verbose']);
    await run(['config', 'set', 'webhook-secret', '-'], SECRET);
    await fails(['config', 'set', 'access-token', '-'], TOKEN); // refused by design: only auth login sets it
    await run(['config', 'set', 'shared-secret', '-'], SHARED);
    await run(['config', 'set', 'ngrok-authtoken', '-'], NGROK);
    await run(['config', 'get']);
    await run(['config', 'get', '--json']);
    await run(['config', 'get', 'webhook-secret']);
    await run(['config', 'path']);
    await run(['auth', 'logout']);
    await dev.stop();

    expect(problems).toEqual([]);

    // Asked for: printed in full, and the check above would have seen it.
    const asked = await runCli(['dev', '--print-secret'], { env });
    expect(asked.stdout.trim()).toBe(SECRET);
    expect(leaks(asked.stdout)).toContain('webhook secret');
    const askedConfig = await runCli(['config', 'get', 'webhook-secret', '--print-secret'], { env: cleanEnv(h) });
    expect(askedConfig.stdout.trim()).toBe(SECRET);

    // The config file holds secrets: only its owner may read it.
    const configFile = join(h, 'config.json');
    expect((statSync(configFile).mode & 0o777).toString(8)).toBe('600');

    // A receiver with no secret anywhere creates one, shows it in full that once, then only masked.
    const fresh = newHome(cleanups).dir;
    const first = await launchDev({ env: cleanEnv(fresh) });
    cleanups.push(() => first.stop('SIGKILL'));
    await first.stop();
    const created = (await runCli(['dev', '--print-secret'], { env: cleanEnv(fresh) })).stdout.trim();
    expect(created).toMatch(/^whsec_/);
    expect(first.stderr() + first.stdout()).toContain(created);
    expect((statSync(join(fresh, 'config.json')).mode & 0o777).toString(8)).toBe('600');
    const second = await launchDev({ env: cleanEnv(fresh) });
    cleanups.push(() => second.stop('SIGKILL'));
    await second.stop();
    expect(second.stderr() + second.stdout(), 'the stored secret is shown masked after the first time').not.toContain(created.slice(6, 26));

    recordFigure('5. secrets', `${checked.length} command runs with a known webhook secret, API token, refresh token, shared secret and ngrok authtoken: 0 printed any 10-character piece of one; --print-secret prints it; config file 0600`);
  }, 180_000);
});
