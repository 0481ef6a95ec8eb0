// `etsyhook serve`: the production receiver. Verifies as dev does, keeps every request in Redis (a 2xx only once
// Redis has it), one NDJSON line per request on stdout; /health, /ready and /metrics for the load balancer.
import type { Command } from 'commander';
import type { Output } from '../ui/output.js';
import { UsageError } from '../errors.js';
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT } from '../core/defaults.js';
import { typeMatcher } from '../core/events/globs.js';
import { isValidSecret, type Scheme } from '../core/receive/signature.js';
import { context } from './shared/context.js';
import { addReceiverFlags, type ReceiverFlags } from './shared/flags.js';
import { parseQueueFlags, queueOption, retainOption, type ParsedQueue, type QueueFlags } from './shared/queue.js';
import { webhookSecret } from './shared/secret.js';
import { lifecycle } from './shared/lifecycle.js';

export interface ServeFlags extends ReceiverFlags, QueueFlags {
  legacyQueue?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('the production receiver: verify, keep each event in Redis before answering 2xx, for workers to deliver');
  addReceiverFlags(cmd, { host: DEFAULT_SERVE_HOST, port: DEFAULT_SERVE_PORT, secret: '(default: ETSY_WEBHOOK_SECRET, else the stored one)', events: 'queue, globs allowed (order.*); others are kept as ignored' })
    .addOption(queueOption('the Redis queue: redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS (env ETSYHOOK_QUEUE)'))
    .option('--legacy-queue <key>', "also LPUSH each accepted payload onto this Redis list, as the seed chapter's WebhookQueue does")
    .addOption(retainOption())
    .addHelpText(
      'after',
      `
Answers as dev does (200 once Redis has the event; 401, 400, 413, 405, 404), and 503 with Retry-After while Redis is
unreachable or refuses writes. GET /health (liveness), /ready (503 while Redis is down), /metrics (Prometheus).
SIGTERM: stop accepting, finish requests in flight, exit 0. Deliver with: etsyhook worker --queue … --forward-to URL.

Examples:
  $ etsyhook serve --queue redis://127.0.0.1:6379 --port 8080
  $ ETSYHOOK_QUEUE=redis://:secret@redis.internal:6379/0 etsyhook serve --legacy-queue etsy_webhooks`,
    )
    .action(async (_o: ServeFlags, cmd: Command) => {
      const { opts, out } = context<ServeFlags>(cmd);
      await runServe(await parseServeOptions(opts), out);
    });
}

export interface ServeOptions {
  host: string;
  port: number;
  path: string;
  secret: string;
  scheme?: Scheme;
  tolerance: number;
  maxBody: number;
  accepts?: (type: string) => boolean;
  queue: ParsedQueue;
  legacyQueue?: string;
}

/** The rules across serve's flags, and the secret; every problem is a UsageError (exit 2) before anything starts. */
export async function parseServeOptions(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<ServeOptions> {
  const queue = parseQueueFlags(flags, 'serve', env);
  if (['/health', '/ready', '/metrics'].includes(flags.path)) throw new UsageError(`--path ${flags.path} is taken by serve's own endpoints`, 'choose another path');
  if (flags.legacyQueue !== undefined && flags.legacyQueue.trim() === '') throw new UsageError('--legacy-queue needs a Redis key, e.g. etsy_webhooks');
  const secret = await webhookSecret(flags.secret, env);
  if (secret === undefined) {
    throw new UsageError('serve needs the signing secret: --secret, or ETSY_WEBHOOK_SECRET', 'the secret Etsy shows for the push configuration (whsec_…)');
  }
  if (flags.scheme === 'standard' && !isValidSecret(secret.value, 'standard')) {
    throw new UsageError('--scheme standard needs a Standard Webhooks secret (whsec_ followed by base64)', 'check --secret / ETSY_WEBHOOK_SECRET');
  }
  const patterns = flags.events ?? [];
  return {
    host: flags.host,
    port: flags.port,
    path: flags.path,
    secret: secret.value,
    ...(flags.scheme === undefined ? {} : { scheme: flags.scheme }),
    tolerance: flags.tolerance,
    maxBody: flags.maxBody,
    ...(patterns.length > 0 ? { accepts: typeMatcher(patterns) as (t: string) => boolean } : {}),
    queue,
    ...(flags.legacyQueue === undefined ? {} : { legacyQueue: flags.legacyQueue.trim() }),
  };
}

async function runServe(o: ServeOptions, out: Output): Promise<void> {
  const { connect } = await import('../core/queue/connection.js');
  const { RedisSink } = await import('../core/queue/sink.js');
  const { serveMetrics } = await import('../core/queue/metrics.js');
  const { Pipeline } = await import('../pipeline/pipeline.js');
  const { liveLines } = await import('../ui/live-lines.js');
  const { Output: JsonOutput } = await import('../ui/output.js');
  const where = o.queue.target.where;
  const client = await connect(o.queue.target, {
    onDown: (reason) => out.warn(`lost Redis at ${where}: ${reason}; answering 503 until it is back`),
    onUp: () => out.info(`Redis at ${where} is back: accepting events again`),
  });
  const sink = new RedisSink(client, o.queue.target, { retention: o.queue.retention, ...(o.legacyQueue === undefined ? {} : { legacyQueue: o.legacyQueue }) });
  const metrics = serveMetrics(client);
  // serve's stdout is always NDJSON, one line per request: dev --json's lines.
  const lines = liveLines(new JsonOutput({ json: true }));
  const pipeline = await Pipeline.start({
    receiver: {
      host: o.host,
      port: o.port,
      path: o.path,
      secret: o.secret,
      ...(o.scheme === undefined ? {} : { scheme: o.scheme }),
      toleranceSeconds: o.tolerance,
      maxBody: o.maxBody,
      ...(o.accepts === undefined ? {} : { accepts: o.accepts }),
      health: () => ({ redis: sink.health().ok ? 'up' : 'down' }),
      routes: metrics.routes(() => sink.health()),
    },
    sink,
    observers: [lines, { onRequest: (r) => metrics.observe(r.stored ? (r.record?.status ?? 'rejected') : 'unstored', r.ms) }],
  });
  // Listening for signals before saying it is ready: a stop right after the line is a graceful one.
  const life = lifecycle();
  const listening = pipeline.url.replace('127.0.0.1', o.host);
  out.info(`serve: listening on ${listening}, events go to Redis at ${where}${o.legacyQueue ? ` (and the list ${o.legacyQueue})` : ''}`);
  const signal = await life.stopped;
  out.info(`stopping (${signal}): finishing requests in flight…`);
  const closed = await pipeline.close(10_000);
  lines.flush();
  if (closed.sinkError) out.warn(`closing the Redis connection: ${closed.sinkError.message}`);
  life.end();
}
