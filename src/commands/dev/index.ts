// `etsyhook dev`: the local verifying receiver. Parses flags into DevOptions (a pure function), then runs the
// pipeline (pipeline.ts) with a tunnel and the terminal's lines, until Ctrl-C (the action resolves: exit 0).
import type { Command } from 'commander';
import { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_DEV_HOST, DEFAULT_DEV_PORT, DEFAULT_INSPECT_PORT, DEFAULT_MAX_ATTEMPTS, DEFAULT_SANDBOX_PORT } from '../../core/defaults.js';
import type { Output } from '../../ui/output.js';
import { UsageError } from '../../errors.js';
import { formatDuration } from '../../format.js';
import { routesFromOptions, type Route } from '../../core/delivery/routes.js';
import { devSecret, runReceiver } from './run.js';
import { context } from '../shared/context.js';
import { durationOption, intOption, portOption, repeatOption, retryScheduleOption, urlOption } from '../shared/flags.js';
import { addReceiverFlags } from '../shared/receiver.js';
import { queueOption } from '../shared/queue.js';
import { isSelf, parseDevOptions, type DevFlags, type DevOptions } from './options.js';

export function register(program: Command): void {
  const cmd = program
    .command('dev')
    .description('receive Etsy webhooks locally: verify, store durably, forward to your app, behind an ngrok tunnel');
  addReceiverFlags(cmd, {
    host: DEFAULT_DEV_HOST,
    port: DEFAULT_DEV_PORT,
    secret: '(default: ETSY_WEBHOOK_SECRET, else the stored one, else a new one is created and stored)',
    events: 'dispatch, globs allowed (order.*,listing.created); others are stored as ignored',
  })
    .option('--print-secret', 'print the signing secret in use (creating one if needed) and exit')
    .addOption(urlOption('--forward-to <url>', 'forward accepted events, byte-exact with their headers, to your app'))
    .addOption(repeatOption('--route <GLOB=TARGET>', 'send events of these types to a target: http(s)://URL, exec:COMMAND, slack:WEBHOOK_URL or pushover: (repeatable)'))
    .option('--routes <file>', 'routes from a YAML or JSON file: routes: [{events, to, template?, timeout?, max_attempts?, priority?}]')
    .addOption(durationOption('--forward-timeout <duration>', 'per-attempt timeout when forwarding', { min: 1 }).default(DEFAULT_DELIVERY_TIMEOUT_MS, formatDuration(DEFAULT_DELIVERY_TIMEOUT_MS)))
    .option('--insecure', 'accept a self-signed certificate on an https --forward-to')
    .addOption(intOption('--max-attempts <n>', `delivery attempts before an event is dead (default: ${DEFAULT_MAX_ATTEMPTS}, or as many as --retry-schedule lists)`, { min: 1, max: 100 }))
    .addOption(retryScheduleOption("when each attempt goes: 'etsy' (Etsy's own: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) or delays such as 0,10s,5m (default: at once, 2 s, 10 s, 1 min, 5 min)"))
    .option('--no-tunnel', 'do not open the ngrok tunnel (receive on the local address only)')
    .option('--sandbox', 'also run etsyhook sandbox (a local Etsy) delivering here with this secret; implies --no-tunnel')
    .addOption(portOption('--sandbox-port <port>', `the sandbox's port (default ${DEFAULT_SANDBOX_PORT})`))
    .option('--domain <domain>', 'reserved ngrok domain for a stable public URL')
    .option('--register', "create a push configuration for the public URL while running (deleted on exit)")
    .option('--shop <id>', 'shop for --register (default: ETSY_SHOP_ID, else the logged-in user\'s shop)')
    .option('--api-base <url>', 'Etsy API base URL for --register (env ETSY_API_BASE)')
    .addOption(portOption('--inspect-port <port>', `the web inspector's port on 127.0.0.1 (default ${DEFAULT_INSPECT_PORT}, the next free one if taken; 0 picks any)`))
    .option('--no-inspect', 'do not serve the web inspector')
    .addOption(queueOption('keep events in this Redis (shared with serve and worker) instead of the local store (env ETSYHOOK_QUEUE)'))
    .option('--legacy-queue <key>', "with --queue: also LPUSH each accepted payload onto this list, as the seed chapter's WebhookQueue does")
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook dev --no-tunnel                                  receive on http://127.0.0.1:5000/webhook
  $ etsyhook dev --forward-to http://localhost:3000/webhooks  public URL + forwarding to your app
  $ etsyhook dev --events 'order.*' --domain my-shop.ngrok.app --register
  $ etsyhook dev --route 'order.*=http://localhost:3000/orders' --route 'listing.*=exec:./on-listing.sh'
  $ etsyhook dev --routes routes.yaml                          each event type to its own handlers
  $ etsyhook dev --no-tunnel --json | jq -c 'select(.kind=="delivery")'
  $ etsyhook dev --sandbox                                    the receiver and a local Etsy delivering to it
  $ export ETSY_WEBHOOK_SECRET=$(etsyhook dev --print-secret)

Answers: 200 {"status":"accepted","id"} once the event is on disk ("duplicate", "ignored" likewise); 401 bad, missing or stale signature;
400 not JSON or no event_type; 413 over --max-body; 405 wrong method; 404 other paths; 503 store cannot write.
GET /health (liveness) answers {"status":"healthy",...}; GET /ready is 503 while the store cannot write. The public tunnel needs an ngrok authtoken: NGROK_AUTHTOKEN or
\`etsyhook config set ngrok-authtoken <token>\`. Stored events: etsyhook events list, tail, replay.`,
    )
    .action(async (_o: DevFlags, cmd: Command) => {
      const { opts, out } = context<DevFlags>(cmd);
      await runDev(parseDevOptions(opts), out);
    });
}

async function runDev(o: DevOptions, out: Output): Promise<void> {
  if (o.route.length > 0 || o.routesFile !== undefined) o = { ...o, routes: await loadRoutes(o, out) };
  const secret = await devSecret(o, out);
  if (o.printSecret) {
    if (out.json) out.data({ secret: secret.value, source: secret.source });
    else out.line(secret.value);
    return;
  }
  await runReceiver(o, secret, out);
}

/** --route, --routes and --forward-to as routes, checked before anything starts (a bad file is exit 2). */
async function loadRoutes(o: DevOptions, out: Output): Promise<Route[]> {
  const set = routesFromOptions({ route: o.route, ...(o.routesFile !== undefined ? { routes: o.routesFile } : {}), ...(o.forwardTo ? { forwardTo: o.forwardTo.href } : {}) });
  for (const w of set.warnings) out.warn(w);
  for (const r of set.routes) {
    if (r.target.kind === 'http' && isSelf(new URL(r.target.url), o.host, o.port, o.path)) {
      throw new UsageError(`${r.origin}: ${r.target.url} is this receiver itself`, 'route to your app, e.g. http://127.0.0.1:3000/webhooks');
    }
  }
  return set.routes;
}
