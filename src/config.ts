// Where etsyhook keeps things, and the one precedence rule: flags beat environment variables beat stored config.
import { accessSync, chmodSync, constants, mkdirSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
  return platformPaths(env, process.platform, homedir());
}

/**
 * Each platform's usual places, as the env-paths package names them (config and data apart). Written here rather
 * than imported: env-paths imports node:process as an ES module, whose facade costs 8 ms on every start (a tenth of
 * `etsyhook send`, which CI runs hundreds of times).
 */
export function platformPaths(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): Paths {
  const name = 'etsyhook';
  if (platform === 'darwin') {
    return { config: join(home, 'Library', 'Preferences', name), data: join(home, 'Library', 'Application Support', name) };
  }
  if (platform === 'win32') {
    const roaming = env.APPDATA || join(home, 'AppData', 'Roaming');
    const local = env.LOCALAPPDATA || join(home, 'AppData', 'Local');
    return { config: join(roaming, name, 'Config'), data: join(local, name, 'Data') };
  }
  return {
    config: join(env.XDG_CONFIG_HOME || join(home, '.config'), name),
    data: join(env.XDG_DATA_HOME || join(home, '.local', 'share'), name),
  };
}

export function storeDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(paths(env).data, 'events');
}

/** The sandbox's state (`etsyhook sandbox`). */
export function sandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(paths(env).data, 'sandbox');
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(paths(env).config, 'config.json');
}

/** A home directory that cannot hold etsyhook's files: one line naming where it came from and the path. */
export class HomeUnusableError extends OperationError {}

/** Virtual file systems where nothing of ours can be created (and where a recursive mkdir never returns). */
const VIRTUAL_FS = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */, 0x27e0eb /* cgroup */, 0x63677270 /* cgroup2 */, 0x64626720 /* debugfs */, 0x73636673 /* securityfs */]);

function homeError(dir: string, why: string, env: NodeJS.ProcessEnv): HomeUnusableError {
  const home = env.ETSYHOOK_HOME;
  const named = home !== undefined && home !== '' ? `ETSYHOOK_HOME (${home})` : `the etsyhook directory ${dir}`;
  const hint = home !== undefined && home !== '' ? 'point ETSYHOOK_HOME at a writable directory, or unset it' : 'check the permissions of that directory';
  return new HomeUnusableError(`${named} ${why}`, { hint });
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? '';
}

function reason(err: unknown): string {
  switch (errCode(err)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    default:
      return (err as Error).message;
  }
}

/** The directory's nearest existing ancestor (or itself), and the missing directories below it, top first. */
function existingAncestor(dir: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let cur = resolve(dir);
  for (;;) {
    try {
      statSync(cur);
      return { existing: cur, missing: missing.reverse() };
    } catch (err) {
      // ENOTDIR: a file somewhere above; keep walking up to it.
      if (errCode(err) !== 'ENOENT' && errCode(err) !== 'ENOTDIR') return { existing: cur, missing: missing.reverse() };
    }
    const up = dirname(cur);
    if (up === cur) return { existing: cur, missing: missing.reverse() };
    missing.push(cur);
    cur = up;
  }
}

/**
 * Check, without creating anything, that `dir` is a directory etsyhook can use or could create. Throws
 * HomeUnusableError naming ETSYHOOK_HOME (or the platform directory) and the path.
 */
export function checkDir(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  const { existing, missing } = existingAncestor(dir);
  let isDir: boolean;
  try {
    isDir = statSync(existing).isDirectory();
  } catch (err) {
    throw homeError(dir, `cannot be used: ${reason(err)}`, env);
  }
  if (!isDir) {
    const home = env.ETSYHOOK_HOME ? resolve(env.ETSYHOOK_HOME) : undefined;
    const itself = missing.length === 0 || existing === home;
    throw homeError(dir, itself ? 'is a file, not a directory' : `cannot be created: ${existing} is a file, not a directory`, env);
  }
  if (missing.length > 0) {
    let type = 0;
    try {
      type = Number(statfsSync(existing).type);
    } catch {
      /* statfs unsupported: the mkdir itself will tell */
    }
    if (VIRTUAL_FS.has(type)) throw homeError(dir, `cannot be created: ${existing} is a virtual file system`, env);
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw homeError(dir, missing.length === 0 ? `is not writable (${reason(err)})` : `cannot be created in ${existing} (${reason(err)})`, env);
  }
}

/**
 * Create `dir` (and what is missing above it) owner-only, one level at a time: Node's recursive mkdir never returns
 * on some virtual file systems. Any failure is one HomeUnusableError, never a raw EEXIST/ENOTDIR.
 */
export function ensureDir(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  checkDir(dir, env);
  for (const d of existingAncestor(dir).missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (err) {
      if (errCode(err) === 'EEXIST' && statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw homeError(dir, `cannot be created: ${reason(err)}${d === resolve(dir) ? '' : ` (at ${d})`}`, env);
    }
  }
}

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
