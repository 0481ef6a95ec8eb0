// `etsyhook worker`: takes events from the Redis queue and delivers them, with retries on Etsy's schedule, then the
// dead-letter stream. Any number of workers share the queue; one NDJSON line per attempt on stdout.
import type { Command } from '../shared/commander.js';
import { DEFAULT_CLAIM_AFTER_MS, DEFAULT_CONCURRENCY, DEFAULT_DELIVERY_TIMEOUT_MS } from '../../core/defaults.js';
import { describeSchedule, ETSY_RETRY_SCHEDULE_MS } from '../../core/delivery/retry.js';
import { formatDuration } from '../../format.js';
import { startWorker } from '../../pipeline/worker.js';
import { maskTarget } from '../../core/delivery/routes.js';
import { CHECK_CONFIG_HELP, checkedConfig } from '../../ui/check-config.js';
import type { Output } from '../../ui/output.js';
import { attemptJson } from '../../ui/present.js';
import { routeTable } from '../../ui/route-table.js';
import { context } from '../shared/context.js';
import { durationOption, intOption, repeatOption, retryScheduleOption, urlOption } from '../shared/flags.js';
import { lifecycle } from '../shared/lifecycle.js';
import { queueOption, retainOption } from '../shared/queue.js';
import { parseWorkerOptions, type WorkerFlags, type WorkerOptions } from './options.js';

export function register(program: Command): void {
  program
    .command('worker')
    .description('deliver the events serve queued in Redis: retries on Etsy\'s schedule, then dead letters')
    .addOption(queueOption('the Redis queue: redis://[:PASSWORD@]HOST:PORT[/DB] (or any node of a cluster), rediss:// for TLS, redis+cluster://H1:P1,H2:P2 (env ETSYHOOK_QUEUE)'))
    .addOption(urlOption('--forward-to <url>', 'deliver every event, byte-exact with its headers, to your app (= --route \'*=URL\')'))
    .addOption(repeatOption('--route <GLOB=TARGET>', 'send events of these types to a target: http(s)://URL, exec:COMMAND, slack:WEBHOOK_URL or pushover: (repeatable)'))
    .option('--routes <file>', 'routes from a YAML or JSON file: routes: [{events, to, template?, timeout?, max_attempts?, priority?}]')
    .addOption(intOption('--concurrency <n>', 'deliveries in flight at once', { min: 1, max: 1024 }).default(DEFAULT_CONCURRENCY))
    .addOption(intOption('--max-attempts <n>', 'attempts before an event is dead (default: the length of the schedule)', { min: 1, max: 100 }))
    .addOption(retryScheduleOption("delays before each attempt: 'etsy' (at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) or a list (0,100ms,1s)").default([...ETSY_RETRY_SCHEDULE_MS], 'etsy'))
    .addOption(durationOption('--claim-after <duration>', 'take over an event another worker took and has not settled after this long (it died)', { min: 100 }).default(DEFAULT_CLAIM_AFTER_MS, formatDuration(DEFAULT_CLAIM_AFTER_MS)))
    .addOption(durationOption('--timeout <duration>', 'per-attempt timeout', { min: 1 }).default(DEFAULT_DELIVERY_TIMEOUT_MS, formatDuration(DEFAULT_DELIVERY_TIMEOUT_MS)))
    .option('--insecure', 'accept a self-signed certificate on an https --forward-to')
    .addOption(retainOption())
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
    .action(async (_o: WorkerFlags, cmd: Command) => {
      const { opts, out } = context<WorkerFlags>(cmd);
      const o = parseWorkerOptions(opts);
      for (const w of o.warnings) out.warn(w);
      const to = o.routes ? o.routes.map((r) => r.label).join(' ') : maskTarget(o.forwardTo!);
      if (checkedConfig(opts, 'worker', { queue: o.queue.target.where, 'deliver to': to }, out)) return;
      await runWorker(o, out);
    });
}

async function runWorker(o: WorkerOptions, out: Output): Promise<void> {
  const where = o.queue.target.where;
  const data = out.dataLines();
  const life = lifecycle();
  const worker = await startWorker({
    ...o,
    ...o.queue,
    on: {
      onDown: (reason) => out.warn(`lost Redis at ${where}: ${reason.split('\n')[0]}; retrying (deliveries in flight are kept)`),
      onUp: () => out.info(`Redis at ${where} is back`),
      onAttempt: ({ record, event, retryInMs, reclaimed }) => {
        if (record.status === 'dead') {
          out.warn(`${record.id} (${event.type ?? 'unknown type'}) is dead${record.route === undefined ? '' : ` on ${record.route}`} after ${record.attempt} attempts (${record.httpStatus ?? record.error}); send it again with: etsyhook replay ${record.id} --failed --queue …`);
        }
        data.write(JSON.stringify({ ...attemptJson(record, event), retryInMs: retryInMs ?? null, reclaimed }));
      },
    },
  });
  const to = o.routes ? `${o.routes.length === 1 ? 'one route' : `${o.routes.length} routes`}` : o.forwardTo;
  out.info(`worker ${worker.consumer}: delivering from Redis${worker.cluster ? ' Cluster' : ''} at ${where} to ${to} (${o.concurrency} at a time; retries: ${describeSchedule(o.schedule.slice(0, o.maxAttempts))})`);
  for (const l of routeTable(o.routes ?? [], out.c, { timeoutMs: o.timeoutMs, maxAttempts: o.maxAttempts })) out.info(`    ${l}`);
  void worker.running.then(() => life.stop(), () => life.stop());
  const signal = (await life.stopped) ?? 'stopped';
  out.info(`stopping (${signal}): settling deliveries in flight (what is left goes to another worker after --claim-after)…`);
  try {
    await worker.stop(Math.min(o.timeoutMs, 10_000));
  } finally {
    data.flush();
  }
  life.end();
}
