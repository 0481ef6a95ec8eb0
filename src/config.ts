// Where etsyhook keeps things, and the one precedence rule: flags beat environment variables beat stored config.
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { parseDuration, parseInteger, parseSince as parseSinceFlag, parseUrl, type IntRange } from './commands/flags.js';

export interface StoredConfig {
  webhookSecret?: string;
  ngrokAuthtoken?: string;
  apiKey?: string;
  sharedSecret?: string;
  accessToken?: string;
  refreshToken?: string;
  /** ISO 8601 */
  expiresAt?: string;
  refreshExpiresAt?: string;
  userId?: number;
  shopId?: number;
  scopes?: string[];
}

export type ConfigKey = keyof StoredConfig;

export interface Paths {
  /** Directory holding config.json (mode 0600). */
  config: string;
  /** Directory holding the event store. */
  data: string;
}

/** ETSYHOOK_HOME holds everything; otherwise the platform's config and data directories. */
export function paths(env: NodeJS.ProcessEnv = process.env): Paths {
  const home = env.ETSYHOOK_HOME;
  if (home !== undefined && home !== '') return { config: home, data: home };
  const p = envPaths('etsyhook', { suffix: '' });
  return { config: p.config, data: p.data };
}

export function storeDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(paths(env).data, 'events');
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(paths(env).config, 'config.json');
}

function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

type ConfInstance = {
  get<K extends ConfigKey>(key: K): StoredConfig[K];
  set<K extends ConfigKey>(key: K, value: StoredConfig[K]): void;
  delete(key: ConfigKey): void;
  store: StoredConfig;
  path: string;
};

/** The stored config file, read and written through `conf` with owner-only permissions. */
export class ConfigStore {
  private conf: ConfInstance | undefined;
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  private async open(): Promise<ConfInstance> {
    if (this.conf) return this.conf;
    const dir = paths(this.env).config;
    ensurePrivateDir(dir);
    const { default: Conf } = await import('conf');
    const conf = new Conf<StoredConfig>({
      projectName: 'etsyhook',
      cwd: dir,
      configName: 'config',
      configFileMode: 0o600,
      clearInvalidConfig: false,
    }) as unknown as ConfInstance;
    this.conf = conf;
    return conf;
  }

  async get<K extends ConfigKey>(key: K): Promise<StoredConfig[K]> {
    return (await this.open()).get(key);
  }

  async all(): Promise<StoredConfig> {
    return { ...(await this.open()).store };
  }

  async set(values: Partial<StoredConfig>): Promise<void> {
    const conf = await this.open();
    for (const [k, v] of Object.entries(values) as [ConfigKey, StoredConfig[ConfigKey]][]) {
      if (v === undefined) conf.delete(k);
      else conf.set(k, v);
    }
    // conf writes atomically via a temp file; make sure the result is owner-only whatever the umask.
    try {
      chmodSync(conf.path, 0o600);
    } catch {
      /* the file may not exist yet if nothing was written */
    }
  }

  async delete(...keys: ConfigKey[]): Promise<void> {
    const conf = await this.open();
    for (const k of keys) conf.delete(k);
  }

  async path(): Promise<string> {
    return (await this.open()).path;
  }
}

/** Flags beat environment variables beat stored config. Returns the value and where it came from. */
export async function resolveSetting(
  flagValue: string | undefined,
  envName: string,
  key: ConfigKey,
  config: ConfigStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ value: string; source: 'flag' | 'env' | 'config' } | undefined> {
  if (flagValue !== undefined && flagValue !== '') return { value: flagValue, source: 'flag' };
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'env' };
  const stored = await config.get(key);
  if (stored !== undefined && stored !== null && String(stored) !== '') return { value: String(stored), source: 'config' };
  return undefined;
}

// The parsers below moved to commands/flags.ts (one implementation, on commander's Option API); these keep the
// older call shape for commands that still parse raw strings themselves.

/** Parse a whole-number flag, or throw a usage error naming the flag. */
export function parseIntFlag(name: string, raw: string | undefined, opts: IntRange = {}): number | undefined {
  return raw === undefined ? undefined : parseInteger(String(raw), name, opts);
}

/** Parse an http(s) URL flag, or throw a usage error naming the flag. */
export function parseUrlFlag(name: string, raw: string): URL {
  return parseUrl(raw, name);
}

/** Parse a duration like 30s, 15m, 2h, 7d, or an ISO date; returns the cut-off time in ms since epoch. */
export function parseSince(name: string, raw: string, now = Date.now()): number {
  return parseSinceFlag(raw, name, now);
}

/** Parse a duration into milliseconds (30s, 5m …); bare numbers are seconds. */
export function parseDurationMs(name: string, raw: string): number {
  return parseDuration(raw, name);
}
