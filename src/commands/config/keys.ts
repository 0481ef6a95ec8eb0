// The settings `config` manages: their names, where else they come from, and how a value is checked.
import { type ConfigKey } from '../../config.js';
import { UsageError } from '../../errors.js';
import { editDistance } from '../../core/events/catalog.js';

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

export const KEYS: readonly KeySpec[] = [
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

export const KEY_LIST = KEYS.map((k) => k.name).join(', ');

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

export async function readStdin(): Promise<string> {
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
