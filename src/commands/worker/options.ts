// worker's flags (typed by their Options) into WorkerOptions: the queue, and where events go (one URL, or routes).
import { UsageError } from '../../errors.js';
import type { WorkerSettings } from '../../pipeline/worker.js';
import { routesFromOptions, type RouteSet } from '../../core/delivery/routes.js';
import { parseQueueFlags, type ParsedQueue, type QueueFlags } from '../shared/queue.js';

export interface WorkerFlags extends QueueFlags {
  forwardTo?: URL;
  route?: string[];
  routes?: string;
  concurrency: number;
  maxAttempts?: number;
  retrySchedule: number[];
  claimAfter: number;
  timeout: number;
  insecure?: boolean;
  checkConfig?: boolean;
}

/** worker's flags, validated: the settings its runtime (pipeline/worker.ts) takes, and the queue and warnings. */
export interface WorkerOptions extends Omit<WorkerSettings, 'target' | 'retention' | 'on'> {
  queue: ParsedQueue;
  /** Route globs that match no known event type: said, not refused. */
  warnings: string[];
}

/** The rules across worker's flags; every problem is a UsageError (exit 2) before anything connects. */
export function parseWorkerOptions(flags: WorkerFlags, env: NodeJS.ProcessEnv = process.env): WorkerOptions {
  const queue = parseQueueFlags(flags, 'worker', env);
  const routeFlags = flags.route ?? [];
  if (flags.forwardTo === undefined && routeFlags.length === 0 && flags.routes === undefined) {
    throw new UsageError('worker needs somewhere to deliver: --forward-to URL, --route GLOB=TARGET or --routes FILE', 'e.g. --forward-to http://127.0.0.1:3000/webhooks');
  }
  const forwardTo = flags.forwardTo?.href;
  let routeSet: RouteSet | undefined;
  if (routeFlags.length > 0 || flags.routes !== undefined) {
    routeSet = routesFromOptions({ route: routeFlags, ...(flags.routes === undefined ? {} : { routes: flags.routes }), ...(forwardTo === undefined ? {} : { forwardTo }) }, env);
  }
  return {
    queue,
    ...(routeSet === undefined ? { forwardTo: forwardTo! } : { routes: routeSet.routes }),
    warnings: routeSet?.warnings ?? [],
    concurrency: flags.concurrency,
    maxAttempts: flags.maxAttempts ?? flags.retrySchedule.length,
    schedule: flags.retrySchedule,
    claimAfterMs: flags.claimAfter,
    timeoutMs: flags.timeout,
    insecure: flags.insecure ?? false,
  };
}
