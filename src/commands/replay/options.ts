// replay's flags (typed by their Options) into ReplayParsed: which events, where to, re-signed or not.
import { checkSecretFormat, resolveSecret } from '../shared/signing.js';
import { queueUrl } from '../shared/queue.js';
import type { Resign } from '../../core/delivery/replay.js';
import type { Route } from '../../core/delivery/routes.js';
import { UsageError } from '../../errors.js';
import type { Output } from '../../ui/output.js';
import type { Scheme } from '../../core/receive/signature.js';
import { filtersOf, type ParsedFilterFlags, type ParsedFilters } from '../shared/filters.js';
import { routesFromOptions } from '../../core/delivery/routes.js';

export interface ReplayFlags extends ParsedFilterFlags {
  failed?: boolean;
  to?: URL;
  route?: string[];
  routes?: string;
  resign?: boolean;
  newId?: boolean;
  secret?: string;
  scheme?: Scheme;
  dryRun?: boolean;
  concurrency: number;
  timeout: number;
  insecure?: boolean;
  queue?: string;
}


export interface ReplayParsed {
  filters: Omit<ParsedFilters, 'warnings'>;
  to: string | undefined;
  routes: Route[] | undefined;
  concurrency: number;
  timeoutMs: number;
  resign: Resign | undefined;
  secretOrigin: string;
  queue: string | undefined;
}

/** Every flag validated before the store is read. */
export async function parseReplay(ids: string[], opts: ReplayFlags, out: Output): Promise<ReplayParsed> {
  const parsed = filtersOf(opts);
  for (const w of parsed.warnings) out.warn(w);
  const filters = { types: parsed.types, statuses: parsed.statuses, since: parsed.since };
  if (opts.failed && filters.statuses.length > 0) throw new UsageError('--failed and --status cannot be combined', '--failed is --status failed,dead');
  if (opts.failed) filters.statuses = ['failed', 'dead'];
  const byFilter = filters.types.length > 0 || filters.statuses.length > 0 || filters.since !== undefined;
  // Ids with --failed: those events, only on the routes that failed.
  const idsOnFailedRoutes = ids.length > 0 && opts.failed === true && filters.types.length === 0 && filters.since === undefined;
  if (ids.length > 0 && byFilter && !idsOnFailedRoutes) throw new UsageError('name events by id or select them with --type/--since/--status/--failed, not both');
  if (ids.length === 0 && !byFilter) {
    throw new UsageError('which events? name ids, or select with --type, --since, --status or --failed', 'see etsyhook events list');
  }
  const to = opts.to?.href;
  let routes: Route[] | undefined;
  if ((opts.route?.length ?? 0) > 0 || opts.routes !== undefined) {
    if (to !== undefined) throw new UsageError('--to and --route/--routes cannot be combined', "--to URL is --route '*=URL'");
    const set = routesFromOptions({ ...(opts.route ? { route: opts.route } : {}), ...(opts.routes !== undefined ? { routes: opts.routes } : {}) });
    for (const w of set.warnings) out.warn(w);
    routes = set.routes;
  }
  const { concurrency, timeout: timeoutMs } = opts;
  if (!opts.resign && (opts.newId || opts.secret !== undefined || opts.scheme !== undefined)) {
    throw new UsageError(`${opts.newId ? '--new-id' : opts.secret !== undefined ? '--secret' : '--scheme'} only applies with --resign`);
  }
  let resign: Resign | undefined;
  let secretOrigin = '';
  if (opts.resign) {
    const scheme = opts.scheme;
    const secret = await resolveSecret(opts.secret);
    if (scheme !== 'legacy') checkSecretFormat(secret, 'standard');
    secretOrigin = secret.origin;
    resign = { secret: secret.value, ...(scheme === undefined ? {} : { scheme }), newId: opts.newId ?? false };
  }

  const queue = queueUrl(opts.queue);
  return { filters, to, routes, concurrency, timeoutMs, resign, secretOrigin, queue };
}

/** The events to replay, oldest first, from the history (which keeps their attempts); undefined: nothing to do. */
