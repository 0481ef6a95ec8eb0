// Options and session set-up shared by `auth` and `configs`: --api-base, --timeout, --shop.
import type { Command } from 'commander';
import { parseDurationMs } from '../config.js';
import { UsageError } from '../errors.js';
import type { EtsySession } from '../etsy/session.js';
import type { Output } from '../ui/output.js';

export interface ApiFlags {
  apiBase?: string;
  timeout?: string;
  shop?: string;
}

export function addApiOptions(cmd: Command, options: { shop?: boolean; timeout?: boolean } = {}): Command {
  cmd.option('--api-base <url>', 'Etsy API base URL (env ETSY_API_BASE; default https://api.etsy.com/v3)');
  if (options.timeout !== false) cmd.option('--timeout <duration>', 'per-request timeout, e.g. 10s (default 30s)');
  if (options.shop) cmd.option('--shop <id>', "shop id (env ETSY_SHOP_ID; default the logged-in user's shop)");
  return cmd;
}

export function requestTimeoutMs(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parseDurationMs('--timeout', raw);
  if (ms <= 0) throw new UsageError(`--timeout must be more than zero, got '${raw}'`);
  return ms;
}

/** Open the session the way every `configs` command does: verbose lines via --verbose, notices on stderr. */
export async function openSession(flags: ApiFlags, out: Output): Promise<EtsySession> {
  const { openEtsySession } = await import('../etsy/session.js');
  const timeoutMs = requestTimeoutMs(flags.timeout);
  return openEtsySession({
    ...(flags.apiBase !== undefined ? { apiBase: flags.apiBase } : {}),
    ...(flags.shop !== undefined ? { shop: flags.shop } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    log: (line) => out.debug(line),
    onNotice: (line) => out.warn(line),
  });
}
