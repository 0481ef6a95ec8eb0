// dev's flags: the raw strings commander gives, and DevOptions, validated by a pure function (tested in-process).
import { parseDurationMs, parseIntFlag, parseUrlFlag } from '../config.js';
import { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_INSPECT_PORT, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BODY, DEFAULT_SANDBOX_PORT, DEFAULT_TOLERANCE_SECONDS } from '../core/defaults.js';
import { closeMatches, isKnownName, withCurrentNames } from '../core/events/catalog.js';
import { splitList } from '../core/events/globs.js';
import type { Scheme } from '../core/receive/signature.js';
import type { Route } from '../core/delivery/routes.js';
import { parseQueueUrl, type QueueTarget } from '../core/queue/url.js';
import { parseRetrySchedule } from '../core/delivery/retry.js';
import { UsageError } from '../errors.js';
import { parseSecret, parseSize } from './flags.js';

export interface RawDevOptions {
  host: string;
  port: string;
  path: string;
  secret?: string;
  scheme?: string;
  tolerance?: string;
  printSecret?: boolean;
  maxBody?: string;
  events?: string;
  forwardTo?: string;
  route?: string[];
  routes?: string;
  forwardTimeout?: string;
  insecure?: boolean;
  maxAttempts?: string;
  retrySchedule?: string;
  tunnel: boolean;
  domain?: string;
  register?: boolean;
  shop?: string;
  apiBase?: string;
  inspectPort?: string;
  /** false with --no-inspect */
  inspect?: boolean;
  queue?: string;
  legacyQueue?: string;
  sandbox?: boolean;
  sandboxPort?: string;
}

/** dev's flags, validated. */
export interface DevOptions {
  host: string;
  port: number;
  path: string;
  secret: string | undefined;
  scheme: Scheme | undefined;
  toleranceSeconds: number;
  maxBody: number;
  /** --events globs; empty: every type is dispatched. */
  events: string[];
  /** --events entries that name no known type (a warning, not an error). */
  unknownEvents: { pattern: string; near: string[] }[];
  /** Deprecated names in --events, said at start. */
  eventWarnings: string[];
  forwardTo: URL | undefined;
  /** --route values (GLOB=TARGET), checked when dev runs (routes.ts). */
  route: string[];
  /** --routes FILE, read when dev runs. */
  routesFile: string | undefined;
  /** The routes, once dev has read and checked them; undefined without --route/--routes. */
  routes?: Route[];
  forwardTimeoutMs: number;
  insecure: boolean;
  maxAttempts: number;
  /** --retry-schedule: the delay before each attempt; undefined: the forwarder's default. */
  retrySchedule: number[] | undefined;
  tunnel: boolean;
  /** Run `etsyhook sandbox` beside the receiver on this port (undefined: --sandbox not given). */
  sandboxPort: number | undefined;
  domain: string | undefined;
  register: boolean;
  shop: string | undefined;
  apiBase: string | undefined;
  printSecret: boolean;
  /** Where the web inspector listens (the next free port if taken); undefined with --no-inspect. */
  inspectPort: number | undefined;
  /** --queue / ETSYHOOK_QUEUE: the Redis sink instead of the file log. */
  queue: QueueTarget | undefined;
  legacyQueue: string | undefined;
}

/** dev's raw flags into DevOptions; every bad value is a UsageError naming the flag. Pure: no I/O. */
export function parseDevOptions(raw: RawDevOptions, env: NodeJS.ProcessEnv = process.env): DevOptions {
  let retrySchedule: number[] | undefined;
  try {
    retrySchedule = raw.retrySchedule === undefined ? undefined : parseRetrySchedule(raw.retrySchedule);
  } catch (err) {
    throw new UsageError(`--retry-schedule: ${(err as Error).message}`, "write 'etsy' or delays such as 0,10s,5m");
  }
  const port = parseIntFlag('--port', raw.port, { min: 0, max: 65535 })!;
  const host = raw.host.trim();
  if (host === '') throw new UsageError('--host must not be empty');
  let path = raw.path.trim();
  if (path === '' || /[?#\s]/.test(path)) throw new UsageError(`--path must be a URL path such as /webhook, got '${raw.path}'`);
  if (!path.startsWith('/')) path = `/${path}`;
  if (path === '/health' || path === '/ready') throw new UsageError(`--path ${path} is taken by the health checks`, 'choose another path');
  let scheme: Scheme | undefined;
  if (raw.scheme !== undefined) {
    const s = raw.scheme.trim().toLowerCase();
    if (s !== 'standard' && s !== 'legacy') throw new UsageError(`--scheme must be standard or legacy, got '${raw.scheme}'`);
    scheme = s;
  }
  if (raw.secret !== undefined) parseSecret(raw.secret, '--secret');
  const forwardTimeoutMs = raw.forwardTimeout === undefined ? DEFAULT_DELIVERY_TIMEOUT_MS : parseDurationMs('--forward-timeout', raw.forwardTimeout);
  if (forwardTimeoutMs <= 0) throw new UsageError(`--forward-timeout must be more than zero, got '${raw.forwardTimeout}'`);
  const forwardTo = raw.forwardTo === undefined ? undefined : parseUrlFlag('--forward-to', raw.forwardTo);
  if (forwardTo && isSelf(forwardTo, host, port, path)) {
    throw new UsageError(`--forward-to ${forwardTo.href} is this receiver itself`, 'forward to your app, e.g. http://127.0.0.1:3000/webhooks');
  }
  if (raw.inspect === false && raw.inspectPort !== undefined) throw new UsageError('--inspect-port and --no-inspect cannot be combined');
  if (raw.sandboxPort !== undefined && !raw.sandbox) throw new UsageError('--sandbox-port needs --sandbox');
  if (raw.sandbox && raw.register) {
    throw new UsageError('--register and --sandbox cannot be combined', 'the sandbox delivers to this receiver without a push configuration');
  }
  if (raw.register && !raw.tunnel) {
    throw new UsageError('--register needs the public tunnel URL', 'drop --no-tunnel, or create a configuration by hand with etsyhook configs create');
  }
  const queueRaw = raw.queue ?? (env.ETSYHOOK_QUEUE?.trim() ? env.ETSYHOOK_QUEUE : undefined);
  const queue = queueRaw === undefined ? undefined : parseQueueUrl(queueRaw);
  if (raw.legacyQueue !== undefined && (queue === undefined || raw.legacyQueue.trim() === '')) {
    throw new UsageError('--legacy-queue needs a Redis key and --queue', 'e.g. --queue redis://127.0.0.1:6379 --legacy-queue etsy_webhooks');
  }
  const { patterns: events, warnings: eventWarnings } = withCurrentNames(splitList(raw.events));
  const unknownEvents = events
    .filter((p) => !p.includes('*') && !p.includes('?') && !isKnownName(p))
    .map((pattern) => ({ pattern, near: closeMatches(pattern) }));
  return {
    host,
    port,
    path,
    secret: raw.secret,
    scheme,
    toleranceSeconds: raw.tolerance === undefined ? DEFAULT_TOLERANCE_SECONDS : parseIntFlag('--tolerance', raw.tolerance, { min: 0 })!,
    maxBody: raw.maxBody === undefined ? DEFAULT_MAX_BODY : parseSize(raw.maxBody, '--max-body'),
    events,
    unknownEvents,
    eventWarnings,
    forwardTo,
    route: raw.route ?? [],
    routesFile: raw.routes,
    forwardTimeoutMs,
    insecure: raw.insecure ?? false,
    // A schedule without --max-attempts allows as many attempts as it lists.
    maxAttempts: raw.maxAttempts !== undefined ? parseIntFlag('--max-attempts', raw.maxAttempts, { min: 1, max: 100 })! : (retrySchedule?.length ?? DEFAULT_MAX_ATTEMPTS),
    retrySchedule,
    // The sandbox delivers over loopback: no public tunnel.
    tunnel: raw.tunnel && !raw.sandbox,
    sandboxPort: raw.sandbox ? (parseIntFlag('--sandbox-port', raw.sandboxPort, { min: 0, max: 65535 }) ?? DEFAULT_SANDBOX_PORT) : undefined,
    domain: raw.domain,
    register: raw.register ?? false,
    shop: raw.shop,
    apiBase: raw.apiBase,
    printSecret: raw.printSecret ?? false,
    inspectPort: raw.inspect === false ? undefined : (parseIntFlag('--inspect-port', raw.inspectPort, { min: 0, max: 65535 }) ?? DEFAULT_INSPECT_PORT),
    queue,
    legacyQueue: raw.legacyQueue?.trim(),
  };
}

export function isSelf(target: URL, host: string, port: number, path: string): boolean {
  const loopback = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0', host]);
  const targetPort = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return port !== 0 && targetPort === port && loopback.has(target.hostname) && target.pathname.replace(/\/+$/, '') === path.replace(/\/+$/, '');
}

