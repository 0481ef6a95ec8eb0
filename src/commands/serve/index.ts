// `etsyhook serve`: the production receiver. Verifies as dev does, keeps every request in Redis (a 2xx only once
// Redis has it), one NDJSON line per request on stdout; /health, /ready and /metrics for the load balancer.
import type { Command } from '../shared/commander.js';
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT } from '../../core/defaults.js';
import { startServe } from '../../pipeline/serve.js';
import { CHECK_CONFIG_HELP, checkedConfig } from '../../ui/check-config.js';
import { liveLines } from '../../ui/live-lines.js';
import { Output } from '../../ui/output.js';
import { context } from '../shared/context.js';
import { addReceiverFlags } from '../shared/receiver.js';
import { lifecycle } from '../shared/lifecycle.js';
import { queueOption, retainOption } from '../shared/queue.js';
import { parseServeOptions, type ServeFlags, type ServeOptions } from './options.js';

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('the production receiver: verify, keep each event in Redis before answering 2xx, for workers to deliver');
  addReceiverFlags(cmd, { host: DEFAULT_SERVE_HOST, port: DEFAULT_SERVE_PORT, secret: '(default: ETSY_WEBHOOK_SECRET, else the stored one)', events: 'queue, globs allowed (order.*); others are kept as ignored' })
    .addOption(queueOption('the Redis queue: redis://[:PASSWORD@]HOST:PORT[/DB] (or any node of a cluster), rediss:// for TLS, redis+cluster://H1:P1,H2:P2 (env ETSYHOOK_QUEUE)'))
    .option('--legacy-queue <key>', "also LPUSH each accepted payload onto this Redis list, as the seed chapter's WebhookQueue does")
    .addOption(retainOption())
    .option('--check-config', CHECK_CONFIG_HELP)
    .addHelpText(
      'after',
      `
Answers as dev does (200 once Redis has the event; 401, 400, 413, 405, 404), and 503 with Retry-After while Redis is
unreachable or refuses writes. GET /health (liveness), /ready (a write to Redis: 503 while it cannot take one), /metrics (Prometheus).
SIGTERM: stop accepting, finish requests in flight, exit 0. Deliver with: etsyhook worker --queue … --forward-to URL.

Examples:
  $ etsyhook serve --queue redis://127.0.0.1:6379 --port 8080
  $ ETSYHOOK_QUEUE=redis://:secret@redis.internal:6379/0 etsyhook serve --legacy-queue etsy_webhooks`,
    )
    .action(async (_o: ServeFlags, cmd: Command) => {
      const { opts, out } = context<ServeFlags>(cmd);
      const o = await parseServeOptions(opts);
      if (checkedConfig(opts, 'serve', { listen: `${o.host}:${o.port}${o.path}`, queue: o.queue.target.where }, out)) return;
      await runServe(o, out);
    });
}

async function runServe(o: ServeOptions, out: Output): Promise<void> {
  const where = o.queue.target.where;
  // serve's stdout is always NDJSON, one line per request: dev --json's lines.
  const lines = liveLines(new Output({ json: true }));
  const { pipeline, cluster } = await startServe({
    ...o.queue,
    ...(o.legacyQueue === undefined ? {} : { legacyQueue: o.legacyQueue }),
    receiver: {
      host: o.host,
      port: o.port,
      path: o.path,
      secret: o.secret,
      ...(o.scheme === undefined ? {} : { scheme: o.scheme }),
      toleranceSeconds: o.tolerance,
      maxBody: o.maxBody,
      ...(o.accepts === undefined ? {} : { accepts: o.accepts }),
    },
    observers: [lines],
    on: {
      down: (reason) => out.warn(`lost Redis at ${where}: ${reason}; answering 503 until it is back`),
      up: () => out.info(`Redis at ${where} is back: accepting events again`),
    },
  });
  // Listening for signals before saying it is ready: a stop right after the line is a graceful one.
  const life = lifecycle();
  out.info(`serve: listening on ${pipeline.url.replace('127.0.0.1', o.host)}, events go to Redis${cluster ? ' Cluster' : ''} at ${where}${o.legacyQueue ? ` (and the list ${o.legacyQueue})` : ''}`);
  const signal = await life.stopped;
  out.info(`stopping (${signal}): finishing requests in flight…`);
  const closed = await pipeline.close(10_000);
  lines.flush();
  if (closed.sinkError) out.warn(`closing the Redis connection: ${closed.sinkError.message}`);
  life.end();
}
