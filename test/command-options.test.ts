// Each command's parse step, in-process: raw options (as commander hands them over, already through flags.ts) become
// one typed object, or a UsageError naming what to change. And every command's --help carries an example.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli.js';
import { expectUsageError } from './support/flags.js';
import { DEFAULT_TOLERANCE_SECONDS } from '../src/core/defaults.js';
import { parseListOptions, DEFAULT_LIST_LIMIT } from '../src/commands/events/list.js';
import { parseShowOptions } from '../src/commands/events/show.js';
import { parseClearOptions } from '../src/commands/events/clear.js';
import { parseTailOptions } from '../src/commands/tail/index.js';
import { parseSignOptions } from '../src/commands/sign/index.js';
import { parseVerifyOptions } from '../src/commands/verify/index.js';
import { parseCreateOptions, parseDeleteOptions, parseEventTypes, parseDeliveryUrl } from '../src/commands/configs/options.js';
import { parseLoginOptions } from '../src/commands/auth/options.js';
import { findKey, parseSetOptions, settingValue } from '../src/commands/config/keys.js';

describe('events and tail', () => {
  it('list: filters, webhook-ids and the limit, with warnings for unknown plain types', () => {
    expect(parseListOptions({ type: ['order.*', 'order.payed'], status: ['dead'], since: 5, webhookId: ['msg_1'], json: true })).toEqual({
      filters: { types: ['order.*', 'order.payed'], statuses: ['dead'], since: 5, warnings: ["'order.payed' is not an event type etsyhook knows (did you mean order.paid?)"] },
      webhookIds: ['msg_1'],
      limit: DEFAULT_LIST_LIMIT,
      json: true,
    });
    expect(parseListOptions({ limit: 3 }).limit).toBe(3);
  });

  it('show: --raw and --json are one output too many; an empty id is named', () => {
    expect(parseShowOptions(' evt_4k ', { raw: true })).toMatchObject({ ref: 'evt_4k', raw: true, expand: false, json: false, api: {} });
    expect(expectUsageError(() => parseShowOptions('evt_4k', { raw: true, json: true }))).toBe('--raw and --json cannot be combined: pick one output');
    expect(expectUsageError(() => parseShowOptions(' ', {}))).toBe('name the event: etsyhook events show <id>');
  });

  it('clear and tail', () => {
    expect(parseClearOptions({ olderThan: 10, yes: true })).toEqual({ olderThan: 10, yes: true, json: false });
    expect(parseTailOptions({ status: ['failed'], json: true })).toEqual({ filters: { types: [], statuses: ['failed'], since: undefined, warnings: [] }, json: true });
  });
});

describe('sign and verify', () => {
  it('sign: standard by default; --id only with it; --curl not with --json', () => {
    const o = parseSignOptions(undefined, { id: 'msg_1', timestamp: 1614265330 }, undefined);
    expect(o).toMatchObject({ scheme: 'standard', id: 'msg_1', timestamp: 1614265330, source: { kind: 'stdin' }, json: false });
    expect(parseSignOptions('body.json', {}, { value: 's', origin: '--secret' }).source).toEqual({ kind: 'file', path: 'body.json', label: 'body.json' });
    expect(expectUsageError(() => parseSignOptions(undefined, { scheme: 'legacy', id: 'msg_1' }, undefined))).toMatch(/^--id sets webhook-id/);
    expect(expectUsageError(() => parseSignOptions(undefined, { curl: new URL('http://x/'), json: true }, undefined))).toMatch(/^--curl and --json/);
  });

  it('verify: headers split and lower-cased; the tolerance defaults to the core constant', () => {
    const o = parseVerifyOptions('b.json', { header: ['Webhook-Id: msg_1\nwebhook-timestamp: 5'] }, undefined);
    expect(o.headers).toEqual([['webhook-id', 'msg_1'], ['webhook-timestamp', '5']]);
    expect(o.tolerance).toBe(DEFAULT_TOLERANCE_SECONDS);
    expect(expectUsageError(() => parseVerifyOptions('b.json', {}, undefined))).toBe('no headers to check');
    expect(expectUsageError(() => parseVerifyOptions('-', { headersFile: '-' }, undefined))).toMatch(/cannot both come from stdin/);
    expect(expectUsageError(() => parseVerifyOptions('b.json', { header: ['nonsense'] }, undefined))).toBe("--header expects 'name: value', got 'nonsense'");
  });
});

describe('configs, auth and config', () => {
  it('configs create: https only, known event types, both required off a terminal', () => {
    expect(parseDeliveryUrl(' https://example.com/h ', '--url')).toBe('https://example.com/h');
    expect(expectUsageError(() => parseDeliveryUrl('http://example.com/h', '--url'))).toBe("--url: Etsy delivers only to https URLs, got 'http://example.com/h'");
    expect(parseEventTypes('order.paid,order.paid', '--events', ['order.shipped'])).toEqual(['order.shipped', 'order.paid']);
    expect(expectUsageError(() => parseEventTypes('order.payed', '--events'))).toMatch(/unknown event type 'order.payed' \(did you mean order.paid/);
    expect(expectUsageError(() => parseCreateOptions({ events: ['order.paid'] }, false))).toMatch(/^--url is required/);
    expect(parseCreateOptions({}, true)).toEqual({ url: undefined, events: undefined, api: {} });
  });

  it('configs delete: the id is checked first; --yes is needed off a terminal', () => {
    expect(parseDeleteOptions(' 123 ', { yes: true, shop: '9' }, false)).toEqual({ id: '123', yes: true, json: false, api: { shop: '9' } });
    expect(expectUsageError(() => parseDeleteOptions('../1', { yes: true }, false))).toMatch(/^<id> must be a push configuration id/);
    expect(expectUsageError(() => parseDeleteOptions('123', {}, false))).toMatch(/needs --yes/);
    expect(parseDeleteOptions('123', {}, true).yes).toBe(false);
  });

  it('auth login: defaults for port, wait and scopes', () => {
    expect(parseLoginOptions({})).toEqual({
      apiBase: undefined,
      apiKey: undefined,
      sharedSecret: undefined,
      port: 3003,
      scopes: 'shops_r shops_w transactions_r',
      browser: true,
      waitMs: 300_000,
      authorizeUrl: undefined,
    });
    expect(parseLoginOptions({ browser: false, authorizeUrl: new URL('http://127.0.0.1:9/connect') })).toMatchObject({ browser: false, authorizeUrl: 'http://127.0.0.1:9/connect' });
  });

  it('config: keys as people type them; values checked', () => {
    expect(findKey('ETSY_WEBHOOK_SECRET').name).toBe('webhook-secret');
    expect(findKey('webhook_secret').name).toBe('webhook-secret');
    expect(expectUsageError(() => findKey('webhok-secret'))).toBe("unknown config key 'webhok-secret' (did you mean webhook-secret?)");
    expect(expectUsageError(() => parseSetOptions('access-token', 'x'))).toMatch(/cannot be set by hand/);
    expect(parseSetOptions('shop-id', '-').text).toBeUndefined();
    expect(settingValue(findKey('shop-id'), '42')).toBe(42);
    expect(expectUsageError(() => settingValue(findKey('shop-id'), 'x'))).toBe("shop-id must be a whole number, got 'x'");
    expect(expectUsageError(() => settingValue(findKey('api-key'), ''))).toBe('no value given for api-key');
  });
});

describe('help', () => {
  function all(cmd: Command): Command[] {
    return [cmd, ...cmd.commands.flatMap(all)];
  }

  it('every command and subcommand shows an example in its --help', async () => {
    const program = await buildProgram();
    const missing: string[] = [];
    const commands = all(program);
    expect(commands.length).toBeGreaterThan(20);
    for (const cmd of commands) {
      let text = '';
      for (const c of all(program)) c.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
      cmd.outputHelp();
      if (!/\n {2}\$ etsyhook /.test(text)) missing.push(cmd.name());
    }
    expect(missing).toEqual([]);
  });
});
