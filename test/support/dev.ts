// `etsyhook dev` for a test: in a fresh home (or a given one), on port 0, killed when the test's scope ends.
import { cleanEnv, launchDev, tempHome, type LaunchedDev } from './process.mjs';
import type { Scope } from './scope.js';
import { health, waitFor } from './http.js';
import { SECRET } from './sign.js';
import { readStore, type StoreContents } from './store.js';

export interface Home {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** A fresh ETSYHOOK_HOME, removed when the scope ends, with its clean environment (plus `extraEnv`). */
export function newHome(scope: Scope, extraEnv: Record<string, string | undefined> = {}): Home {
  const h = tempHome();
  scope.push(h.cleanup);
  return { dir: h.dir, env: cleanEnv(h.dir, extraEnv) };
}

export interface Dev extends LaunchedDev {
  home: string;
  env: NodeJS.ProcessEnv;
  /** The home's log as it is now. */
  store: () => StoreContents;
}

/**
 * `etsyhook dev --no-tunnel --port 0 --secret SECRET …args`: `secret: null` passes no --secret (the stored or the
 * environment's one is used); `home` reuses a home (a restart), `env` adds variables. Resolves at the Ready line.
 */
export async function startDev(
  scope: Scope,
  args: string[] = [],
  options: { home?: Home | string; env?: Record<string, string | undefined>; secret?: string | null; port?: number; timeoutMs?: number } = {},
): Promise<Dev> {
  const h = typeof options.home === 'string' ? { dir: options.home, env: cleanEnv(options.home) } : (options.home ?? newHome(scope));
  const env = { ...h.env };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const secret = options.secret === null ? undefined : (options.secret ?? SECRET);
  const launched = await launchDev({ env, args, secret, port: options.port, timeoutMs: options.timeoutMs });
  scope.push(() => launched.stop('SIGKILL'));
  return { ...launched, home: h.dir, env, store: () => readStore(h.dir) };
}

/** Wait until dev's forwarder holds nothing (GET /health: pending_deliveries 0): nothing more will be attempted, so
 *  what the store and the target saw is final. */
export async function deliveriesSettled(dev: { origin: string }, timeoutMs = 10_000): Promise<void> {
  await waitFor('no pending deliveries', async () => (await health(dev.origin))?.body.pending_deliveries === 0, timeoutMs);
}
