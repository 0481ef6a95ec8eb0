// `etsyhook worker`: takes events from the Redis queue and delivers them, with retries on Etsy's schedule, then the
// dead-letter stream. Any number of workers share the queue; one NDJSON line per attempt on stdout.
import type { Command } from 'commander';
import type { Output } from '../ui/output.js';
import { CHECK_CONFIG_HELP, checkedConfig } from '../ui/check-config.js';
import { context } from './common.js';
import type { QueueFlags } from './queue-options.js';

export interface RawWorkerOptions extends QueueFlags {
  forwardTo?: string;
  route?: string[];
  routes?: string;
  concurrency: string;
  maxAttempts?: string;
  retrySchedule: string;
  claimAfter: string;
  timeout: string;
  insecure?: boolean;
  checkConfig?: boolean;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('deliver the events serve queued in Redis: retries on Etsy\'s schedule, then dead letters')
    .option('--queue <url>', 'the Redis queue: redis://[:PASSWORD@]HOST:PORT[/DB] (or any node of a cluster), rediss:// for TLS, redis+cluster://H1:P1,H2:P2 (env ETSYHOOK_QUEUE)')
    .option('--forward-to <url>', 'deliver every event, byte-exact with its headers, to your app (= --route \'*=URL\')')
    .option('--route <GLOB=TARGET>', 'send events of these types to a target: http(s)://URL, exec:COMMAND, slack:WEBHOOK_URL or pushover: (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--routes <file>', 'routes from a YAML or JSON file: routes: [{events, to, template?, timeout?, max_attempts?, priority?}]')
    .option('--concurrency <n>', 'deliveries in flight at once', '16')
    .option('--max-attempts <n>', 'attempts before an event is dead (default: the length of the schedule)')
    .option('--retry-schedule <list>', "delays before each attempt: 'etsy' (at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) or a list (0,100ms,1s)", 'etsy')
    .option('--claim-after <duration>', 'take over an event another worker took and has not settled after this long (it died)', '60s')
    .option('--timeout <duration>', 'per-attempt timeout', '30s')
    .option('--insecure', 'accept a self-signed certificate on an https --forward-to')
    .option('--retain <what>', 'history kept in Redis: a duration, a number of events, or both (7d,1000000)', '7d,1000000')
    .option('--check-config', CHECK_CONFIG_HELP)
    .addHelpText(
      'after',
      `
Delivery is at least once: an event a worker took and never settled (killed, machine lost) goes to another worker
after --claim-after. With routes, each route of an event is its own job: its own attempts, retries and dead
letter. Run every worker on one queue with the same routes. Dead events: etsyhook events list --status dead --queue …; send again: etsyhook replay --failed --queue …

Examples:
  $ etsyhook worker --queue redis://127.0.0.1:6379 --forward-to http://127.0.0.1:3000/webhooks
  $ etsyhook worker --queue redis://127.0.0.1:6379 --forward-to http://app/webhooks --retry-schedule 0,10s,1m --concurrency 64
  $ etsyhook worker --queue redis://127.0.0.1:6379 --route 'order.*=http://app/orders' --route 'listing.*=exec:./on-listing.sh'
  $ etsyhook worker --queue redis://127.0.0.1:6379 --routes routes.yaml`,
    )
    .action(async (_o: RawWorkerOptions, cmd: Command) => {
      const { opts, out } = context<RawWorkerOptions>(cmd);
      const o = await parseWorkerOptions(opts);
      for (const w of o.warnings) out.warn(w);
      const { maskTarget } = await import('../core/delivery/routes.js');
      const to = o.routes ? o.routes.map((r) => r.label).join(' ') : maskTarget(o.forwardTo!);
      if (checkedConfig(opts, 'worker', { queue: o.queue.target.where, 'deliver to': to }, out)) return;
      await runWorker(o, out);
    });
}

export interface WorkerOptions {
  queue: import('./queue-options.js').ParsedQueue;
  /** Without --route/--routes: every event to this URL, one job per event. */
  forwardTo?: string;
  /** With --route/--routes (and --forward-to as `*=URL`): one job per event and route. */
  routes?: import('../core/delivery/routes.js').Route[];
  /** Route globs that match no known event type: said, not refused. */
  warnings: string[];
  concurrency: number;
  maxAttempts: number;
  schedule: number[];
  claimAfterMs: number;
  timeoutMs: number;
  insecure: boolean;
}

/** Raw flags → typed options; every bad value is a UsageError (exit 2) before anything connects. */
export async function parseWorkerOptions(raw: RawWorkerOptions, env: NodeJS.ProcessEnv = process.env): Promise<WorkerOptions> {
  const { UsageError } = await import('../errors.js');
  const config = await import('../config.js');
  const { parseQueueFlags } = await import('./queue-options.js');
  const { parseRetrySchedule, RetryScheduleError } = await import('../core/delivery/retry.js');
  const queue = await parseQueueFlags(raw, 'worker', env);
  const routeFlags = raw.route ?? [];
  if (raw.forwardTo === undefined && routeFlags.length === 0 && raw.routes === undefined) {
    throw new UsageError('worker needs somewhere to deliver: --forward-to URL, --route GLOB=TARGET or --routes FILE', 'e.g. --forward-to http://127.0.0.1:3000/webhooks');
  }
  const forwardTo = raw.forwardTo === undefined ? undefined : config.parseUrlFlag('--forward-to', raw.forwardTo).href;
  let routeSet: import('../core/delivery/routes.js').RouteSet | undefined;
  if (routeFlags.length > 0 || raw.routes !== undefined) {
    const { routesFromOptions } = await import('../core/delivery/routes.js');
    routeSet = routesFromOptions({ route: routeFlags, ...(raw.routes === undefined ? {} : { routes: raw.routes }), ...(forwardTo === undefined ? {} : { forwardTo }) }, env);
  }
  let schedule: number[];
  try {
    schedule = parseRetrySchedule(raw.retrySchedule);
  } catch (err) {
    if (err instanceof RetryScheduleError) throw new UsageError(`--retry-schedule: ${err.message}`);
    throw err;
  }
  const claimAfterMs = config.parseDurationMs('--claim-after', raw.claimAfter);
  if (claimAfterMs < 100) throw new UsageError(`--claim-after must be at least 100ms, got '${raw.claimAfter}'`);
  const timeoutMs = config.parseDurationMs('--timeout', raw.timeout);
  if (timeoutMs <= 0) throw new UsageError(`--timeout must be more than zero, got '${raw.timeout}'`);
  return {
    queue,
    ...(routeSet === undefined ? { forwardTo: forwardTo! } : { routes: routeSet.routes }),
    warnings: routeSet?.warnings ?? [],
    concurrency: config.parseIntFlag('--concurrency', raw.concurrency, { min: 1, max: 1024 })!,
    maxAttempts: config.parseIntFlag('--max-attempts', raw.maxAttempts, { min: 1, max: 100 }) ?? schedule.length,
    schedule,
    claimAfterMs,
    timeoutMs,
    insecure: raw.insecure ?? false,
  };
}

async function runWorker(o: WorkerOptions, out: Output): Promise<void> {
  const { connect, consumerName } = await import('../core/queue/connection.js');
  const { QueueWorker, ForwardDelivery } = await import('../core/queue/worker.js');
  const { RouteDelivery } = await import('../core/queue/route-delivery.js');
  const { routeTable } = await import('../ui/route-table.js');
  const { trimHistory } = await import('../core/queue/sink.js');
  const { Deliverer } = await import('../core/delivery/http.js');
  const { describeSchedule } = await import('../core/delivery/retry.js');
  const { LineWriter } = await import('../ui/output.js');
  const { attemptJson } = await import('../ui/present.js');
  const where = o.queue.target.where;
  const client = await connect(o.queue.target);
  const reader = await connect(o.queue.target);
  const consumer = consumerName();
  const data = new LineWriter(process.stdout);
  const sender = new Deliverer({ connections: o.concurrency, insecure: o.insecure });
  const delivery = o.routes ? new RouteDelivery(o.routes, sender, o.timeoutMs) : new ForwardDelivery(o.forwardTo!, sender, o.timeoutMs);
  const worker = new QueueWorker({
    client,
    reader,
    consumer,
    delivery,
    concurrency: o.concurrency,
    schedule: o.schedule,
    maxAttempts: o.maxAttempts,
    claimAfterMs: o.claimAfterMs,
    historyMaxLen: o.queue.retention.count,
    onDown: (reason) => out.warn(`lost Redis at ${where}: ${reason.split('\n')[0]}; retrying (deliveries in flight are kept)`),
    onUp: () => out.info(`Redis at ${where} is back`),
    onAttempt: ({ record, event, retryInMs, reclaimed }) => {
      if (record.status === 'dead') {
        out.warn(`${record.id} (${event.type ?? 'unknown type'}) is dead${record.route === undefined ? '' : ` on ${record.route}`} after ${record.attempt} attempts (${record.httpStatus ?? record.error}); send it again with: etsyhook replay ${record.id} --failed --queue …`);
      }
      data.write(JSON.stringify({ ...attemptJson(record, event), retryInMs: retryInMs ?? null, reclaimed }));
    },
  });
  const trim = setInterval(() => void trimHistory(client, o.queue.retention).catch(() => {}), Math.max(200, Math.min(60_000, o.queue.retention.ms / 2)));
  const to = o.routes ? `${o.routes.length === 1 ? 'one route' : `${o.routes.length} routes`}` : o.forwardTo;
  out.info(`worker ${consumer}: delivering from Redis${client.cluster ? ' Cluster' : ''} at ${where} to ${to} (${o.concurrency} at a time; retries: ${describeSchedule(o.schedule.slice(0, o.maxAttempts))})`);
  for (const l of routeTable(o.routes ?? [], out.c, { timeoutMs: o.timeoutMs, maxAttempts: o.maxAttempts })) out.info(`    ${l}`);
  const running = worker.run();
  const signal = await Promise.race([
    new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    }),
    running.then(() => 'stopped'),
  ]);
  out.info(`stopping (${signal}): settling deliveries in flight (what is left goes to another worker after --claim-after)…`);
  worker.stop();
  const grace = new Promise<void>((r) => setTimeout(r, Math.min(o.timeoutMs, 10_000)).unref());
  await Promise.race([running, grace]);
  clearInterval(trim);
  data.flush();
  await delivery.close();
  await Promise.all([client.close().catch(() => client.destroy()), reader.close().catch(() => reader.destroy())]);
}
