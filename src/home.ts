// Where etsyhook keeps things (ETSYHOOK_HOME, or the platform's directories), and the checks that a home can be used:
// low in the layers, so the store and the config both reach it without reaching each other.
import { accessSync, constants, mkdirSync, statSync, statfsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { OperationError, UsageError } from './errors.js';

export interface Paths {
  /** Directory holding config.json (mode 0600). */
  config: string;
  /** Directory holding the event store. */
  data: string;
}

/** ETSYHOOK_HOME holds everything; otherwise the platform's config and data directories. */
export function paths(env: NodeJS.ProcessEnv = process.env): Paths {
  const home = env.ETSYHOOK_HOME;
  // Set but empty (usually an unset variable expanded): a usage error, never a reason to use the real home instead.
  if (home === '') throw new UsageError('ETSYHOOK_HOME is empty', 'set it to a directory, or unset it to use the default places (is the variable you expanded unset?)');
  if (home !== undefined) return { config: home, data: home };
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

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(paths(env).config, 'config.json');
}

/** A home directory that cannot hold etsyhook's files: one line naming where it came from and the path. */
export class HomeUnusableError extends OperationError {}

/** Virtual file systems where nothing of ours can be created (and where a recursive mkdir never returns). */
const VIRTUAL_FS = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */, 0x27e0eb /* cgroup */, 0x63677270 /* cgroup2 */, 0x64626720 /* debugfs */, 0x73636673 /* securityfs */]);

export function homeError(dir: string, why: string, env: NodeJS.ProcessEnv): HomeUnusableError {
  const home = env.ETSYHOOK_HOME;
  const named = home !== undefined && home !== '' ? `ETSYHOOK_HOME (${home})` : `the etsyhook directory ${dir}`;
  const hint = home !== undefined && home !== '' ? 'point ETSYHOOK_HOME at a writable directory, or unset it' : 'check the permissions of that directory';
  return new HomeUnusableError(`${named} ${why}`, { hint });
}

export function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? '';
}

export function reason(err: unknown): string {
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
