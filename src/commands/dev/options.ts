// dev's flags as commander hands them over (typed by flags.ts), and DevOptions: the rules across flags, checked by a
// pure function (tested in-process).
import { DEFAULT_INSPECT_PORT, DEFAULT_MAX_ATTEMPTS, DEFAULT_SANDBOX_PORT } from '../../core/defaults.js';
import { closeMatches, isKnownName, withCurrentNames } from '../../core/events/catalog.js';
import { parseQueueUrl } from '../../core/queue/url.js';
import { UsageError } from '../../errors.js';
import type { DevSettings } from '../../pipeline/dev.js';
import type { ReceiverFlags } from '../shared/receiver.js';
import { queueUrl } from '../shared/queue.js';

export interface DevFlags extends ReceiverFlags {
  printSecret?: boolean;
  forwardTo?: URL;
  route?: string[];
  routes?: string;
  forwardTimeout: number;
  insecure?: boolean;
  maxAttempts?: number;
  retrySchedule?: number[];
  tunnel: boolean;
  sandbox?: boolean;
  sandboxPort?: number;
  domain?: string;
  register?: boolean;
  shop?: string;
  apiBase?: string;
  inspectPort?: number;
  /** false with --no-inspect */
  inspect?: boolean;
  queue?: string;
  legacyQueue?: string;
}

/** dev's flags, validated: the settings its runtime (pipeline/dev.ts) takes, and what the command itself uses. */
export interface DevOptions extends Omit<DevSettings, 'secret'> {
  /** --secret; the command resolves it (env, stored, or a new one) before the runtime starts. */
  secret: string | undefined;
  /** Deprecated names in --events, said at start. */
  eventWarnings: string[];
  /** --events entries that name no known type (a warning, not an error). */
  unknownEvents: { pattern: string; near: string[] }[];
  /** --route values (GLOB=TARGET), checked when dev runs (routes.ts). */
  route: string[];
  /** --routes FILE, read when dev runs. */
  routesFile: string | undefined;
  printSecret: boolean;
}

/** The rules across dev's flags; every problem is a UsageError naming the flags. Pure: no I/O. */
export function parseDevOptions(flags: DevFlags, env: NodeJS.ProcessEnv = process.env): DevOptions {
  const { host, port, path } = flags;
  if (path === '/health' || path === '/ready') throw new UsageError(`--path ${path} is taken by the health checks`, 'choose another path');
  const forwardTo = flags.forwardTo;
  if (forwardTo && isSelf(forwardTo, host, port, path)) {
    throw new UsageError(`--forward-to ${forwardTo.href} is this receiver itself`, 'forward to your app, e.g. http://127.0.0.1:3000/webhooks');
  }
  if (flags.inspect === false && flags.inspectPort !== undefined) throw new UsageError('--inspect-port and --no-inspect cannot be combined');
  if (flags.sandboxPort !== undefined && !flags.sandbox) throw new UsageError('--sandbox-port needs --sandbox');
  if (flags.sandbox && flags.register) {
    throw new UsageError('--register and --sandbox cannot be combined', 'the sandbox delivers to this receiver without a push configuration');
  }
  if (flags.register && !flags.tunnel) {
    throw new UsageError('--register needs the public tunnel URL', 'drop --no-tunnel, or create a configuration by hand with etsyhook configs create');
  }
  const queueRaw = queueUrl(flags.queue, env);
  const queue = queueRaw === undefined ? undefined : parseQueueUrl(queueRaw);
  if (flags.legacyQueue !== undefined && (queue === undefined || flags.legacyQueue.trim() === '')) {
    throw new UsageError('--legacy-queue needs a Redis key and --queue', 'e.g. --queue redis://127.0.0.1:6379 --legacy-queue etsy_webhooks');
  }
  const { patterns: events, warnings: eventWarnings } = withCurrentNames(flags.events ?? []);
  const unknownEvents = events
    .filter((p) => !p.includes('*') && !p.includes('?') && !isKnownName(p))
    .map((pattern) => ({ pattern, near: closeMatches(pattern) }));
  return {
    host,
    port,
    path,
    secret: flags.secret,
    scheme: flags.scheme,
    toleranceSeconds: flags.tolerance,
    maxBody: flags.maxBody,
    events,
    unknownEvents,
    eventWarnings,
    forwardTo,
    route: flags.route ?? [],
    routesFile: flags.routes,
    forwardTimeoutMs: flags.forwardTimeout,
    insecure: flags.insecure ?? false,
    // A schedule without --max-attempts allows as many attempts as it lists.
    maxAttempts: flags.maxAttempts ?? flags.retrySchedule?.length ?? DEFAULT_MAX_ATTEMPTS,
    retrySchedule: flags.retrySchedule,
    // The sandbox delivers over loopback: no public tunnel.
    tunnel: flags.tunnel && !flags.sandbox,
    sandboxPort: flags.sandbox ? (flags.sandboxPort ?? DEFAULT_SANDBOX_PORT) : undefined,
    domain: flags.domain,
    register: flags.register ?? false,
    shop: flags.shop,
    apiBase: flags.apiBase,
    printSecret: flags.printSecret ?? false,
    inspectPort: flags.inspect === false ? undefined : (flags.inspectPort ?? DEFAULT_INSPECT_PORT),
    queue,
    legacyQueue: flags.legacyQueue?.trim(),
  };
}

export function isSelf(target: URL, host: string, port: number, path: string): boolean {
  const loopback = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0', host]);
  const targetPort = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return port !== 0 && targetPort === port && loopback.has(target.hostname) && target.pathname.replace(/\/+$/, '') === path.replace(/\/+$/, '');
}

