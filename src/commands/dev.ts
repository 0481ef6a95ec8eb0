// `etsyhook dev`: the local verifying receiver. Parses flags into DevOptions (a pure function), then runs the
// pipeline (pipeline.ts) with a tunnel and the terminal's lines, until Ctrl-C (the action resolves: exit 0).
import type { Command } from 'commander';
import {
  DEFAULT_DELIVERY_TIMEOUT_MS,
  DEFAULT_DEV_HOST,
  DEFAULT_DEV_PORT,
  DEFAULT_INSPECT_PORT,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TOLERANCE_SECONDS,
  DEFAULT_WEBHOOK_PATH,
} from '../core/defaults.js';
import type { Output } from '../ui/output.js';
import { UsageError } from '../errors.js';
import type { Route } from '../core/delivery/routes.js';
import { collect, context } from './common.js';
import { isSelf, parseDevOptions, type DevOptions, type RawDevOptions } from './dev-options.js';

export function register(program: Command): void {
  program
    .command('dev')
    .description('receive Etsy webhooks locally: verify, store durably, forward to your app, behind an ngrok tunnel')
    .option('--host <host>', 'interface to listen on', DEFAULT_DEV_HOST)
    .option('--port <port>', 'port to listen on (0 picks a free one)', String(DEFAULT_DEV_PORT))
    .option('--path <path>', 'path that receives webhooks', DEFAULT_WEBHOOK_PATH)
    .option('--secret <secret>', 'signing secret (default: ETSY_WEBHOOK_SECRET, else the stored one, else a new one is created and stored)')
    .option('--scheme <scheme>', 'accept only standard or legacy signatures (default: detected from the headers)')
    .option('--tolerance <seconds>', 'accept signed timestamps this many seconds old or ahead', String(DEFAULT_TOLERANCE_SECONDS))
    .option('--print-secret', 'print the signing secret in use (creating one if needed) and exit')
    .option('--max-body <size>', 'largest body accepted, e.g. 1mb, 256kb (default: 1 MiB)')
    .option('--events <list>', 'event types to dispatch, globs allowed (order.*,listing.created); others are stored as ignored')
    .option('--forward-to <url>', 'forward accepted events, byte-exact with their headers, to your app')
    .option('--route <GLOB=TARGET>', 'send events of these types to a target: http(s)://URL, exec:COMMAND, slack:WEBHOOK_URL or pushover: (repeatable)', collect)
    .option('--routes <file>', 'routes from a YAML or JSON file: routes: [{events, to, template?, timeout?, max_attempts?, priority?}]')
    .option('--forward-timeout <duration>', `per-attempt timeout when forwarding (default: ${DEFAULT_DELIVERY_TIMEOUT_MS / 1000}s)`)
    .option('--insecure', 'accept a self-signed certificate on an https --forward-to')
    .option('--max-attempts <n>', `delivery attempts before an event is dead (default: ${DEFAULT_MAX_ATTEMPTS}, or as many as --retry-schedule lists)`)
    .option('--retry-schedule <delays>', "when each attempt goes: 'etsy' (Etsy's own: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) or delays such as 0,10s,5m (default: at once, 2 s, 10 s, 1 min, 5 min)")
    .option('--no-tunnel', 'do not open the ngrok tunnel (receive on the local address only)')
    .option('--domain <domain>', 'reserved ngrok domain for a stable public URL')
    .option('--register', "create a push configuration for the public URL while running (deleted on exit)")
    .option('--shop <id>', 'shop for --register (default: ETSY_SHOP_ID, else the logged-in user\'s shop)')
    .option('--api-base <url>', 'Etsy API base URL for --register (env ETSY_API_BASE)')
    .option('--inspect-port <port>', `the web inspector's port on 127.0.0.1 (default ${DEFAULT_INSPECT_PORT}, the next free one if taken; 0 picks any)`)
    .option('--no-inspect', 'do not serve the web inspector')
    .option('--queue <url>', 'keep events in this Redis (shared with serve and worker) instead of the local store (env ETSYHOOK_QUEUE)')
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
  $ export ETSY_WEBHOOK_SECRET=$(etsyhook dev --print-secret)

Answers: 200 {"status":"accepted","id"} once the event is on disk ("duplicate", "ignored" likewise); 401 bad, missing or stale signature;
400 not JSON or no event_type; 413 over --max-body; 405 wrong method; 404 other paths; 503 store cannot write.
GET /health (liveness) answers {"status":"healthy",...}; GET /ready is 503 while the store cannot write. The public tunnel needs an ngrok authtoken: NGROK_AUTHTOKEN or
\`etsyhook config set ngrok-authtoken <token>\`. Stored events: etsyhook events list, tail, replay.`,
    )
    .action(async (_o: RawDevOptions, cmd: Command) => {
      const { opts, out } = context<RawDevOptions>(cmd);
      await runDev(parseDevOptions(opts), out);
    });
}

async function runDev(o: DevOptions, out: Output): Promise<void> {
  if (o.route.length > 0 || o.routesFile !== undefined) o = { ...o, routes: await loadRoutes(o, out) };
  const { devSecret } = await import('./dev-run.js');
  const secret = await devSecret(o, out);
  if (o.printSecret) {
    if (out.json) out.data({ secret: secret.value, source: secret.source });
    else out.line(secret.value);
    return;
  }
  const { runReceiver } = await import('./dev-run.js');
  await runReceiver(o, secret, out);
}

/** --route, --routes and --forward-to as routes, checked before anything starts (a bad file is exit 2). */
async function loadRoutes(o: DevOptions, out: Output): Promise<Route[]> {
  const { routesFromOptions } = await import('../core/delivery/routes.js');
  const set = routesFromOptions({ route: o.route, ...(o.routesFile !== undefined ? { routes: o.routesFile } : {}), ...(o.forwardTo ? { forwardTo: o.forwardTo.href } : {}) });
  for (const w of set.warnings) out.warn(w);
  for (const r of set.routes) {
    if (r.target.kind === 'http' && isSelf(new URL(r.target.url), o.host, o.port, o.path)) {
      throw new UsageError(`${r.origin}: ${r.target.url} is this receiver itself`, 'route to your app, e.g. http://127.0.0.1:3000/webhooks');
    }
  }
  return set.routes;
}
