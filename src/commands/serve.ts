// `etsyhook serve`: the production receiver. Verifies as dev does, keeps every request in Redis (a 2xx only once
// Redis has it), one NDJSON line per request on stdout; /health, /ready and /metrics for the load balancer.
import type { Command } from 'commander';
import type { Output } from '../ui/output.js';
import { CHECK_CONFIG_HELP, checkedConfig } from '../ui/check-config.js';
import { context } from './common.js';
import type { QueueFlags } from './queue-options.js';

export interface RawServeOptions extends QueueFlags {
  host: string;
  port: string;
  path: string;
  secret?: string;
  scheme?: string;
  tolerance: string;
  maxBody: string;
  events?: string;
  legacyQueue?: string;
  checkConfig?: boolean;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('the production receiver: verify, keep each event in Redis before answering 2xx, for workers to deliver')
    .option('--host <host>', 'interface to listen on', '0.0.0.0')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8080')
    .option('--path <path>', 'path that receives webhooks', '/webhook')
    .option('--secret <secret>', 'signing secret (default: ETSY_WEBHOOK_SECRET, else the stored one)')
    .option('--scheme <scheme>', 'accept only standard or legacy signatures (default: detected from the headers)')
    .option('--tolerance <seconds>', 'accept signed timestamps this many seconds old or ahead', '300')
    .option('--max-body <size>', 'largest body accepted, e.g. 1mb, 256kb', '1mb')
    .option('--events <list>', 'event types to queue, globs allowed (order.*); others are kept as ignored')
    .option('--queue <url>', 'the Redis queue: redis://[:PASSWORD@]HOST:PORT[/DB] (or any node of a cluster), rediss:// for TLS, redis+cluster://H1:P1,H2:P2 (env ETSYHOOK_QUEUE)')
    .option('--legacy-queue <key>', "also LPUSH each accepted payload onto this Redis list, as the seed chapter's WebhookQueue does")
    .option('--retain <what>', 'history kept in Redis: a duration, a number of events, or both (7d,1000000)', '7d,1000000')
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
    .action(async (_o: RawServeOptions, cmd: Command) => {
      const { opts, out } = context<RawServeOptions>(cmd);
      const o = await parseServeOptions(opts);
      if (checkedConfig(opts, 'serve', { listen: `${o.host}:${o.port}${o.path}`, queue: o.queue.target.where }, out)) return;
      await runServe(o, out);
    });
}

export interface ServeOptions {
  host: string;
  port: number;
  path: string;
  secret: string;
  scheme?: 'standard' | 'legacy';
  tolerance: number;
  maxBody: number;
  accepts?: (type: string) => boolean;
  queue: import('./queue-options.js').ParsedQueue;
  legacyQueue?: string;
}

/** Raw flags → typed options; every bad value is a UsageError (exit 2) before anything starts. */
export async function parseServeOptions(raw: RawServeOptions, env: NodeJS.ProcessEnv = process.env): Promise<ServeOptions> {
  const { UsageError } = await import('../errors.js');
  const config = await import('../config.js');
  const { parseSize } = await import('./flags.js');
  const { parseQueueFlags } = await import('./queue-options.js');
  const queue = await parseQueueFlags(raw, 'serve', env);
  const port = config.parseIntFlag('--port', raw.port, { min: 0, max: 65535 })!;
  const host = raw.host.trim();
  if (host === '') throw new UsageError('--host must not be empty');
  let path = raw.path.trim();
  if (path === '' || /[?#\s]/.test(path)) throw new UsageError(`--path must be a URL path such as /webhook, got '${raw.path}'`);
  if (!path.startsWith('/')) path = `/${path}`;
  if (['/health', '/ready', '/metrics'].includes(path)) throw new UsageError(`--path ${path} is taken by serve's own endpoints`, 'choose another path');
  let scheme: 'standard' | 'legacy' | undefined;
  if (raw.scheme !== undefined) {
    const s = raw.scheme.trim().toLowerCase();
    if (s !== 'standard' && s !== 'legacy') throw new UsageError(`--scheme must be standard or legacy, got '${raw.scheme}'`);
    scheme = s;
  }
  if (raw.legacyQueue !== undefined && raw.legacyQueue.trim() === '') throw new UsageError('--legacy-queue needs a Redis key, e.g. etsy_webhooks');
  const secret = await config.resolveSetting(raw.secret, 'ETSY_WEBHOOK_SECRET', 'webhookSecret', new config.ConfigStore(), env);
  if (secret === undefined) {
    throw new UsageError('serve needs the signing secret: --secret, or ETSY_WEBHOOK_SECRET', 'the secret Etsy shows for the push configuration (whsec_…)');
  }
  const { isValidSecret } = await import('../core/receive/signature.js');
  if (scheme === 'standard' && !isValidSecret(secret.value, 'standard')) {
    throw new UsageError('--scheme standard needs a Standard Webhooks secret (whsec_ followed by base64)', 'check --secret / ETSY_WEBHOOK_SECRET');
  }
  const { splitList, typeMatcher } = await import('../core/events/globs.js');
  const patterns = splitList(raw.events);
  return {
    host,
    port,
    path,
    secret: secret.value,
    ...(scheme === undefined ? {} : { scheme }),
    tolerance: config.parseIntFlag('--tolerance', raw.tolerance, { min: 0 })!,
    maxBody: parseSize(raw.maxBody, '--max-body'),
    ...(patterns.length > 0 ? { accepts: typeMatcher(patterns) as (t: string) => boolean } : {}),
    queue,
    ...(raw.legacyQueue === undefined ? {} : { legacyQueue: raw.legacyQueue.trim() }),
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
    ...(o.legacyQueue === undefined ? {} : { legacyQueue: o.legacyQueue }),
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
      routes: metrics.routes(() => sink.ready()),
    },
    sink,
    observers: [lines, { onRequest: (r) => metrics.observe(r.outcome, r.ms) }],
  });
  const listening = pipeline.url.replace('127.0.0.1', o.host);
  out.info(`serve: listening on ${listening}, events go to Redis${client.cluster ? ' Cluster' : ''} at ${where}${o.legacyQueue ? ` (and the list ${o.legacyQueue})` : ''}`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  out.info(`stopping (${signal}): finishing requests in flight…`);
  const closed = await pipeline.close(10_000);
  lines.flush();
  if (closed.sinkError) out.warn(`closing the Redis connection: ${closed.sinkError.message}`);
}
