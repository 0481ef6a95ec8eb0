// Options and session set-up shared by `auth`, `configs` and `events show --expand`: --api-base, --timeout, --shop.
import type { Command } from 'commander';
import type { EtsySession } from '../../etsy/session.js';
import type { Output } from '../../ui/output.js';
import { durationOption, urlOption } from './flags.js';
import { DEFAULT_API_BASE, DEFAULT_API_TIMEOUT_MS } from '../../core/defaults.js';
import { formatDuration } from '../../format.js';

/** What commander hands over (already parsed by flags.ts). */
export interface ApiFlags {
  /** A string from a command that registers --api-base itself (dev --register), checked by the session. */
  apiBase?: URL | string;
  /** Per-request timeout, ms. */
  timeout?: number;
  shop?: string;
}

export function addApiOptions(cmd: Command, options: { shop?: boolean; timeout?: boolean } = {}): Command {
  cmd.addOption(urlOption('--api-base <url>', `Etsy API base URL (default ${DEFAULT_API_BASE})`).env('ETSY_API_BASE'));
  if (options.timeout !== false) cmd.addOption(durationOption('--timeout <duration>', `per-request timeout, e.g. 10s (default ${formatDuration(DEFAULT_API_TIMEOUT_MS)})`, { min: 1 }));
  if (options.shop) cmd.option('--shop <id>', "shop id (env ETSY_SHOP_ID; default the logged-in user's shop)");
  return cmd;
}

/** Open the session the way every `configs` command does: verbose lines via --verbose, notices on stderr. */
export async function openSession(flags: ApiFlags, out: Output): Promise<EtsySession> {
  const { openEtsySession } = await import('../../etsy/session.js');
  return openEtsySession({
    ...(flags.apiBase !== undefined ? { apiBase: String(flags.apiBase) } : {}),
    ...(flags.shop !== undefined ? { shop: flags.shop } : {}),
    ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout } : {}),
    log: (line) => out.debug(line),
    onNotice: (line) => out.warn(line),
  });
}
