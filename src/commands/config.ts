// `etsyhook config set|get|unset|path`: the stored settings (owner-only file). Secrets are masked unless asked for.
import type { Command } from 'commander';
import { ConfigStore, configFile, type ConfigKey } from '../config.js';
import { OperationError, UsageError } from '../errors.js';
import { editDistance } from '../core/events/catalog.js';
import { isValidSecret } from '../core/receive/signature.js';
import { mask, type Output } from '../ui/output.js';
import { context, type GlobalOptions } from './shared/context.js';

export interface KeySpec {
  name: string;
  key: ConfigKey;
  secret: boolean;
  /** Can be set by hand (tokens are written by `auth login`). */
  settable: boolean;
  kind: 'string' | 'integer';
  help: string;
  env?: string;
}

const KEYS: readonly KeySpec[] = [
  { name: 'webhook-secret', key: 'webhookSecret', secret: true, settable: true, kind: 'string', env: 'ETSY_WEBHOOK_SECRET', help: 'signing secret used by dev, send, sign, verify' },
  { name: 'ngrok-authtoken', key: 'ngrokAuthtoken', secret: true, settable: true, kind: 'string', env: 'NGROK_AUTHTOKEN', help: "ngrok authtoken for dev's public tunnel" },
  { name: 'api-key', key: 'apiKey', secret: false, settable: true, kind: 'string', env: 'ETSY_API_KEY', help: 'Etsy app keystring' },
  { name: 'shared-secret', key: 'sharedSecret', secret: true, settable: true, kind: 'string', env: 'ETSY_SHARED_SECRET', help: 'Etsy app shared secret' },
  { name: 'shop-id', key: 'shopId', secret: false, settable: true, kind: 'integer', env: 'ETSY_SHOP_ID', help: 'default shop for configs' },
  { name: 'user-id', key: 'userId', secret: false, settable: false, kind: 'integer', help: 'set by auth login' },
  { name: 'access-token', key: 'accessToken', secret: true, settable: false, kind: 'string', env: 'ETSY_ACCESS_TOKEN', help: 'set by auth login' },
  { name: 'refresh-token', key: 'refreshToken', secret: true, settable: false, kind: 'string', env: 'ETSY_REFRESH_TOKEN', help: 'set by auth login' },
  { name: 'expires-at', key: 'expiresAt', secret: false, settable: false, kind: 'string', help: 'set by auth login' },
];

const KEY_LIST = KEYS.map((k) => k.name).join(', ');

/** A key as people type it: webhook-secret, webhook_secret, webhookSecret or ETSY_WEBHOOK_SECRET. */
export function findKey(raw: string): KeySpec {
  const n = raw.trim().toLowerCase().replace(/_/g, '-');
  const spec = KEYS.find((k) => k.name === n || k.key.toLowerCase() === n.replace(/-/g, '') || k.env?.toLowerCase() === raw.toLowerCase());
  if (spec) return spec;
  const near = KEYS.map((k) => ({ name: k.name, d: editDistance(n, k.name) - (k.name.split('-')[0] === n.split('-')[0] ? 2 : 0) }))
    .filter((x) => x.d <= 3)
    .sort((a, b) => a.d - b.d)
    .map((x) => x.name);
  throw new UsageError(
    `unknown config key '${raw}'${near[0] ? ` (did you mean ${near[0]}?)` : ''}`,
    `keys: ${KEY_LIST}`,
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export interface SetOptions {
  spec: KeySpec;
  /** The value as typed; undefined: read it from stdin (`-`). */
  text: string | undefined;
}

export function parseSetOptions(rawKey: string, rawValue: string): SetOptions {
  const spec = findKey(rawKey);
  if (!spec.settable) throw new UsageError(`${spec.name} is ${spec.help}; it cannot be set by hand`, 'run `etsyhook auth login`');
  return { spec, text: rawValue === '-' ? undefined : rawValue.trim() };
}

/** The value to store: a whole number for integer keys; empty is a usage error. */
export function settingValue(spec: KeySpec, text: string): string | number {
  if (text === '') throw new UsageError(`no value given for ${spec.name}`);
  if (spec.kind !== 'integer') return text;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`${spec.name} must be a whole number, got '${text}'`);
  return Number(text);
}

async function setSetting(o: SetOptions, out: Output): Promise<void> {
  const value = settingValue(o.spec, o.text ?? (await readStdin()));
  if (o.spec.key === 'webhookSecret' && !isValidSecret(String(value), 'standard')) {
    out.warn('this is not a Standard Webhooks secret (whsec_… base64): it will only verify the legacy X-Etsy-Signature scheme');
  }
  const s = new ConfigStore();
  await s.set({ [o.spec.key]: value });
  const shown = o.spec.secret ? mask(String(value)) : String(value);
  if (out.json) out.data({ key: o.spec.name, stored: true, path: await s.path() });
  else out.success(`stored ${o.spec.name} (${shown}) in ${await s.path()}`);
  if (o.spec.env !== undefined && process.env[o.spec.env]) out.warn(`${o.spec.env} is set in the environment and takes precedence over the stored value`);
}

export interface GetOptions {
  spec: KeySpec | undefined;
  printSecret: boolean;
}

export function parseGetOptions(rawKey: string | undefined, raw: { printSecret?: boolean }): GetOptions {
  return { spec: rawKey === undefined ? undefined : findKey(rawKey), printSecret: raw.printSecret ?? false };
}

async function getSetting(o: GetOptions, out: Output): Promise<void> {
  const s = new ConfigStore();
  const all = await s.all();
  const show = (spec: KeySpec, v: unknown): string | number =>
    spec.secret && !o.printSecret ? mask(String(v)) : typeof v === 'number' ? v : String(v);
  if (o.spec !== undefined) {
    const spec = o.spec;
    const v = all[spec.key];
    if (v === undefined || v === null || v === '') {
      throw new OperationError(`${spec.name} is not set`, { hint: spec.settable ? `set it with \`etsyhook config set ${spec.name} …\`` : 'run `etsyhook auth login`' });
    }
    if (out.json) out.data({ key: spec.name, value: show(spec, v) });
    else out.line(String(show(spec, v)));
    return;
  }
  const entries: Record<string, string | number> = {};
  for (const spec of KEYS) {
    const v = all[spec.key];
    if (v !== undefined && v !== null && v !== '') entries[spec.name] = show(spec, v);
  }
  if (out.json) {
    out.data(entries);
    return;
  }
  if (Object.keys(entries).length === 0) out.info(`nothing stored yet (${await s.path()})`);
  for (const [k, v] of Object.entries(entries)) out.line(`${k}: ${v}`);
}

async function unsetSetting(spec: KeySpec, out: Output): Promise<void> {
  const s = new ConfigStore();
  const had = (await s.get(spec.key)) !== undefined;
  await s.delete(spec.key);
  if (out.json) out.data({ key: spec.name, removed: had });
  else out.success(had ? `forgot ${spec.name}` : `${spec.name} was not set`);
}

export function register(program: Command): void {
  const config = program
    .command('config')
    .description('show and change stored settings (ngrok authtoken, webhook secret …), kept in a file only you can read')
    .addHelpText(
      'after',
      `
Keys: ${KEY_LIST}

Examples:
  $ etsyhook config set ngrok-authtoken 2abc…          let \`etsyhook dev\` open its public tunnel
  $ pbpaste | etsyhook config set webhook-secret -     read the value from stdin (keeps it out of shell history)
  $ etsyhook config get                                all stored settings, secrets masked
  $ etsyhook config get webhook-secret --print-secret  the secret in full, for scripts
  $ etsyhook config unset ngrok-authtoken

Environment variables and flags override stored settings.`,
    );

  config
    .command('set')
    .description('store a setting (use - as the value to read it from stdin)')
    .argument('<key>', `one of: ${KEYS.filter((k) => k.settable).map((k) => k.name).join(', ')}`)
    .argument('<value>', 'the value, or - for stdin')
    .addHelpText('after', '\nExamples:\n  $ etsyhook config set ngrok-authtoken 2abc…\n  $ pbpaste | etsyhook config set webhook-secret -')
    .action(async (rawKey: string, rawValue: string, _o: object, cmd: Command) => {
      await setSetting(parseSetOptions(rawKey, rawValue), context(cmd).out);
    });

  config
    .command('get')
    .description('print a stored setting, or all of them (secrets masked unless --print-secret)')
    .argument('[key]', 'the setting; all when omitted')
    .option('--print-secret', 'print secret values in full')
    .addHelpText('after', '\nExamples:\n  $ etsyhook config get\n  $ etsyhook config get webhook-secret --print-secret')
    .action(async (rawKey: string | undefined, _o: object, cmd: Command) => {
      const { opts, out } = context<{ printSecret?: boolean } & GlobalOptions>(cmd);
      await getSetting(parseGetOptions(rawKey, opts), out);
    });

  config
    .command('unset')
    .description('forget a stored setting')
    .argument('<key>', 'the setting')
    .addHelpText('after', '\nExample:\n  $ etsyhook config unset ngrok-authtoken')
    .action(async (rawKey: string, _o: object, cmd: Command) => {
      await unsetSetting(findKey(rawKey), context(cmd).out);
    });

  config
    .command('path')
    .description('print where the settings file is')
    .addHelpText('after', '\nExample:\n  $ etsyhook config path')
    .action((_o: object, cmd: Command) => {
      const { out } = context(cmd);
      const file = configFile();
      if (out.json) out.data({ path: file });
      else out.line(file);
    });
}
