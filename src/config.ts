// Where etsyhook keeps things, and the one precedence rule: flags beat environment variables beat stored config.
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration, parseInteger, parseSecret, parseSince as parseSinceFlag, parseUrl, type IntRange } from './commands/flags.js';
import { OperationError, UsageError } from './errors.js';

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

export { checkDir, configFile, ensureDir, HomeUnusableError, paths, platformPaths, storeDir, type Paths } from './home.js';
import { checkDir, ensureDir, errCode, homeError, paths, reason } from './home.js';

function ensurePrivateDir(dir: string, env: NodeJS.ProcessEnv): void {
  ensureDir(dir, env);
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
    ensurePrivateDir(dir, this.env);
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

  /**
   * Reading is a JSON.parse of the file: `conf` (and its schema validator) is loaded only to write. `etsyhook send`
   * reads the secret on every run, and loading conf cost more than the rest of it.
   */
  private read(): StoredConfig {
    if (this.conf) return this.conf.store;
    const dir = paths(this.env).config;
    const file = join(dir, 'config.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      checkDir(dir, this.env); // an unusable home is said as such, not as a missing file
      if (errCode(err) === 'ENOENT') return {};
      throw homeError(dir, `cannot be read: ${reason(err)} (${file})`, this.env);
    }
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as StoredConfig;
    } catch {
      /* said below */
    }
    throw new OperationError(`the config file ${file} is not a JSON object`, { hint: 'fix or delete it (it holds secrets and tokens: they would need setting again)' });
  }

  async get<K extends ConfigKey>(key: K): Promise<StoredConfig[K]> {
    return this.read()[key];
  }

  async all(): Promise<StoredConfig> {
    return { ...this.read() };
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
    return join(paths(this.env).config, 'config.json');
  }
}

/** The flag that sets each secret-like setting, for messages about an empty value. */
const FLAG_OF: Partial<Record<ConfigKey, string>> = {
  webhookSecret: '--secret',
  apiKey: '--api-key',
  sharedSecret: '--shared-secret',
};

/**
 * Flags beat environment variables beat stored config. Returns the value and where it came from. A secret given
 * empty (`--secret ""`, `ETSY_WEBHOOK_SECRET=`, usually an unset variable expanded) is a usage error naming where it
 * came from: falling through to the stored one would verify against another secret without a word.
 */
export async function resolveSetting(
  flagValue: string | undefined,
  envName: string,
  key: ConfigKey,
  config: ConfigStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ value: string; source: 'flag' | 'env' | 'config' } | undefined> {
  const secret = FLAG_OF[key] !== undefined;
  if (flagValue !== undefined && secret) parseSecret(flagValue, FLAG_OF[key]!);
  if (flagValue !== undefined && flagValue !== '') return { value: flagValue, source: 'flag' };
  const fromEnv = env[envName];
  if (fromEnv !== undefined && secret) parseSecret(fromEnv, envName);
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
