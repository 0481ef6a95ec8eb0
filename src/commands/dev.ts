// `etsyhook dev`: the local verifying receiver. Parses and validates flags, wires store → receiver → forwarder →
// tunnel, renders one line per request, and shuts down cleanly on SIGINT/SIGTERM (the action resolves: exit 0).
import type { Command } from 'commander';
import { LineWriter, type Output } from '../ui/output.js';
import { context } from './common.js';

interface RawDevOptions {
  host: string;
  port: string;
  path: string;
  secret?: string;
  scheme?: string;
  tolerance?: string;
  printSecret?: boolean;
  maxBody: string;
  events?: string;
  forwardTo?: string;
  forwardTimeout: string;
  insecure?: boolean;
  maxAttempts: string;
  tunnel: boolean;
  domain?: string;
  register?: boolean;
  shop?: string;
  apiBase?: string;
}

export function register(program: Command): void {
  program
    .command('dev')
    .description('receive Etsy webhooks locally: verify, store durably, forward to your app, behind an ngrok tunnel')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '5000')
    .option('--path <path>', 'path that receives webhooks', '/webhook')
    .option('--secret <secret>', 'signing secret (default: ETSY_WEBHOOK_SECRET, else the stored one, else a new one is created and stored)')
    .option('--scheme <scheme>', 'accept only standard or legacy signatures (default: detected from the headers)')
    .option('--tolerance <seconds>', 'accept signed timestamps this many seconds old or ahead', '300')
    .option('--print-secret', 'print the signing secret in use (creating one if needed) and exit')
    .option('--max-body <size>', 'largest body accepted, e.g. 1mb, 256kb', '1mb')
    .option('--events <list>', 'event types to dispatch, globs allowed (order.*,listing.created); others are stored as ignored')
    .option('--forward-to <url>', 'forward accepted events, byte-exact with their headers, to your app')
    .option('--forward-timeout <duration>', 'per-attempt timeout when forwarding', '30s')
    .option('--insecure', 'accept a self-signed certificate on an https --forward-to')
    .option('--max-attempts <n>', 'delivery attempts before an event is dead (retries back off exponentially)', '5')
    .option('--no-tunnel', 'do not open the ngrok tunnel (receive on the local address only)')
    .option('--domain <domain>', 'reserved ngrok domain for a stable public URL')
    .option('--register', "create a push configuration for the public URL while running (deleted on exit)")
    .option('--shop <id>', 'shop for --register (default: ETSY_SHOP_ID, else the logged-in user\'s shop)')
    .option('--api-base <url>', 'Etsy API base URL for --register (env ETSY_API_BASE)')
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook dev --no-tunnel                                  receive on http://127.0.0.1:5000/webhook
  $ etsyhook dev --forward-to http://localhost:3000/webhooks  public URL + forwarding to your app
  $ etsyhook dev --events 'order.*' --domain my-shop.ngrok.app --register
  $ etsyhook dev --no-tunnel --json | jq -c 'select(.kind=="delivery")'
  $ export ETSY_WEBHOOK_SECRET=$(etsyhook dev --print-secret)

Answers: 200 {"status":"received","id"} once the event is on disk; 401 bad, missing or stale signature;
400 not JSON or no event_type; 413 over --max-body; 405 wrong method; 404 other paths; 503 store cannot write.
GET /health answers {"status":"healthy",...}. The public tunnel needs an ngrok authtoken: NGROK_AUTHTOKEN or
\`etsyhook config set ngrok-authtoken <token>\`. Stored events: etsyhook events list, tail, replay.`,
    )
    .action(async (_o: RawDevOptions, cmd: Command) => {
      const { opts, out } = context<RawDevOptions>(cmd);
      await runDev(opts, out);
    });
}

/** Parse a size such as 1mb, 256kb, 1MiB or 1048576 (bytes); k/m/g are powers of 1024. */
export function parseSize(name: string, raw: string, UsageErrorCtor: new (m: string, h?: string) => Error): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(raw.trim());
  if (!m) throw new UsageErrorCtor(`${name} must be a size such as 512kb, 1mb or 1048576, got '${raw}'`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const n = Math.floor(Number(m[1]) * factor);
  if (n < 1) throw new UsageErrorCtor(`${name} must be at least 1 byte, got '${raw}'`);
  return n;
}

/**
 * HH:MM:SS local time of a record's ISO `at` (or of now), formatted once per second (a line per request under load).
 * A record's own time, not the time of the line: `events list` and `tail` show the same second for it.
 */
function clock(iso?: string): string {
  const second = iso === undefined ? Math.floor(Date.now() / 1000) : Math.floor(Date.parse(iso) / 1000);
  if (second !== clockAt && Number.isFinite(second)) {
    clockAt = second;
    const d = new Date(second * 1000);
    const p = (n: number): string => (n < 10 ? `0${n}` : String(n));
    clockText = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  }
  return clockText;
}
let clockAt = 0;
let clockText = '';

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

async function runDev(opts: RawDevOptions, out: Output): Promise<void> {
  const { UsageError, OperationError } = await import('../errors.js');
  const config = await import('../config.js');
  const sig = await import('../core/receive/signature.js');
  const { mask } = await import('../ui/output.js');
  const c0 = out.c;

  // ---- flags, validated once, at the edge ----
  const port = config.parseIntFlag('--port', opts.port, { min: 0, max: 65535 })!;
  const host = opts.host.trim();
  if (host === '') throw new UsageError('--host must not be empty');
  let path = opts.path.trim();
  if (path === '' || /[?#\s]/.test(path)) throw new UsageError(`--path must be a URL path such as /webhook, got '${opts.path}'`);
  if (!path.startsWith('/')) path = `/${path}`;
  if (path === '/health') throw new UsageError('--path /health is taken by the health check', 'choose another path');
  let scheme: 'standard' | 'legacy' | undefined;
  if (opts.scheme !== undefined) {
    const s = opts.scheme.trim().toLowerCase();
    if (s !== 'standard' && s !== 'legacy') throw new UsageError(`--scheme must be standard or legacy, got '${opts.scheme}'`);
    scheme = s;
  }
  const tolerance = config.parseIntFlag('--tolerance', opts.tolerance, { min: 0 })!;
  const maxBody = parseSize('--max-body', opts.maxBody, UsageError);
  const maxAttempts = config.parseIntFlag('--max-attempts', opts.maxAttempts, { min: 1, max: 100 })!;
  const forwardTimeoutMs = config.parseDurationMs('--forward-timeout', opts.forwardTimeout);
  if (forwardTimeoutMs <= 0) throw new UsageError(`--forward-timeout must be more than zero, got '${opts.forwardTimeout}'`);
  const forwardTo = opts.forwardTo === undefined ? undefined : config.parseUrlFlag('--forward-to', opts.forwardTo);
  if (forwardTo && isSelf(forwardTo, host, port, path)) {
    throw new UsageError(`--forward-to ${forwardTo.href} is this receiver itself`, 'forward to your app, e.g. http://127.0.0.1:3000/webhooks');
  }
  if (opts.insecure && forwardTo?.protocol !== 'https:') out.warn('--insecure only matters for an https --forward-to');
  const { splitList, typeMatcher } = await import('../core/events/globs.js');
  const { EVENT_TYPES, EVENT_TYPE_NAMES, closeMatches } = await import('../core/events/catalog.js');
  const eventPatterns = splitList(opts.events);
  for (const p of eventPatterns) {
    if (!p.includes('*') && !p.includes('?') && !EVENT_TYPE_NAMES.includes(p)) {
      const near = closeMatches(p);
      out.warn(`--events: '${p}' is not a known event type${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; see etsyhook events types`);
    }
  }
  const accepts = eventPatterns.length > 0 ? typeMatcher(eventPatterns) : undefined;
  if (opts.register && !opts.tunnel) {
    throw new UsageError('--register needs the public tunnel URL', 'drop --no-tunnel, or create a configuration by hand with etsyhook configs create');
  }

  // ---- the secret: flag > ETSY_WEBHOOK_SECRET > stored > a new one, stored 0600 and shown once ----
  const store = new config.ConfigStore();
  let secret = await config.resolveSetting(opts.secret, 'ETSY_WEBHOOK_SECRET', 'webhookSecret', store);
  let created = false;
  if (secret === undefined) {
    const value = sig.generateSecret();
    await store.set({ webhookSecret: value });
    secret = { value, source: 'config' };
    created = true;
  }
  if (opts.printSecret) {
    out.line(secret.value);
    return;
  }
  if (created) {
    // Shown at once, in full, this one time: whatever fails later in start-up, the user has seen the stored secret.
    out.info(`${c0.yellow('Created a signing secret')} (stored in ${await store.path()}; later runs show it masked):`);
    out.info(`  ${secret.value}`);
  }
  const standardOk = sig.isValidSecret(secret.value, 'standard');
  if (scheme === 'standard' && !standardOk) {
    throw new UsageError('--scheme standard needs a Standard Webhooks secret (whsec_ followed by base64)', 'check --secret / ETSY_WEBHOOK_SECRET');
  }
  if (!standardOk && scheme === undefined) {
    out.warn('the secret is not a Standard Webhooks secret (whsec_… base64): only legacy X-Etsy-Signature deliveries will verify');
  }

  // ---- store, recent state, forwarder, receiver ----
  const { EventStore, logPath } = await import('../core/log/store.js');
  const dir = config.storeDir();
  const events = await EventStore.open(dir).catch((err: unknown) => {
    throw new OperationError((err as Error).message, { hint: 'check ETSYHOOK_HOME and the disk', cause: err });
  });
  const { scanRecent } = await import('../core/log/recovery.js');
  const recent = scanRecent(logPath(dir));
  out.debug(
    `start-up scan: ${recent.scanned} recent records, ${recent.acceptedIds.length} accepted webhook-ids, ${recent.pending.length} pending deliveries` +
      (recent.truncated ? ' (stopped at the record limit; older events: etsyhook replay --failed)' : ''),
  );
  if (recent.badLines > 0) out.warn(`skipped ${recent.badLines} unreadable line(s) in the event store (a write torn by a crash); nothing acknowledged was lost`);

  const { DuplicateIndex, Receiver } = await import('../core/receive/receiver.js');
  const c = out.c;
  const lines = new LineWriter(process.stderr);
  const data = new LineWriter(process.stdout);

  let forwarder: import('../core/delivery/forwarder.js').Forwarder | undefined;
  if (forwardTo) {
    const { Forwarder } = await import('../core/delivery/forwarder.js');
    const backoff = Number(process.env.ETSYHOOK_FORWARD_BACKOFF_MS);
    forwarder = new Forwarder({
      target: forwardTo.href,
      sink: events,
      maxAttempts,
      timeoutMs: forwardTimeoutMs,
      insecure: opts.insecure ?? false,
      ...(Number.isFinite(backoff) && backoff > 0 ? { baseDelayMs: backoff } : {}),
      onAttempt: ({ record, event, retryInMs }) => {
        if (out.json) {
          data.write(
            JSON.stringify({
              kind: 'delivery',
              at: record.at,
              id: record.id,
              type: event.type,
              webhookId: event.webhookId,
              target: record.target,
              attempt: record.attempt,
              status: record.status,
              ms: record.ms,
              error: record.error,
              outcome: record.outcome,
              retryInMs,
            }),
          );
          return;
        }
        const head = `${c.dim(clock(record.at))}  ${c.dim('  →')}`;
        const tail = `${event.type ?? '-'}  ${c.dim(record.id)}`;
        if (record.outcome === 'delivered') {
          lines.write(`${head} ${c.green(String(record.status))} ${record.ms} ms  ${tail}${record.attempt > 1 ? c.dim(`  (attempt ${record.attempt})`) : ''}`);
        } else {
          const why = record.status !== undefined ? `${record.status}` : (record.error ?? 'failed');
          const next =
            record.outcome === 'dead'
              ? c.red(`dead after ${record.attempt} attempts; resend with: etsyhook replay ${record.id}`)
              : c.dim(`attempt ${record.attempt}/${maxAttempts}, retry in ${seconds(retryInMs ?? 0)}`);
          lines.write(`${head} ${c.yellow(why)}  ${tail}  ${next}`);
        }
      },
      onHold: (probeInMs) => {
        if (!out.json) lines.write(c.yellow(`${clock()}  the app at ${forwardTo.href} is not answering: holding deliveries (stored, not dropped); next try in ${seconds(probeInMs)}`));
      },
      onResume: () => {
        if (!out.json) lines.write(c.green(`${clock()}  the app answers again: delivering what was held`));
      },
      onRecordError: (err) => out.warn(`a delivery attempt could not be recorded: ${err.message}`),
    });
  }

  const verdictColour = (v: string, s: string): string =>
    v === 'accepted' ? c.green(s) : v === 'rejected' ? c.red(s) : v === 'duplicate' ? c.yellow(s) : c.dim(s);

  let receiver: import('../core/receive/receiver.js').Receiver;
  try {
    receiver = await Receiver.start({
      host,
      port,
      path,
      secret: secret.value,
      ...(scheme !== undefined ? { scheme } : {}),
      toleranceSeconds: tolerance,
      maxBody,
      ...(accepts !== undefined ? { accepts } : {}),
      sink: events,
      ...(forwardTo ? { forwardTo: forwardTo.href } : {}),
      seen: new DuplicateIndex(recent.acceptedIds),
      ...(forwarder ? { onAccepted: (rec, body) => forwarder.dispatch(rec, 0, body) } : {}),
      health: () => ({ store: dir, ...(forwarder ? { forward_to: forwarder.target, pending_deliveries: forwarder.pending } : {}) }),
      onRequest: (r) => {
        const rec = r.record;
        if (out.json) {
          data.write(
            JSON.stringify({
              kind: 'received',
              at: rec?.at,
              id: rec?.id,
              status: r.status,
              verdict: rec?.verdict,
              stored: r.stored,
              type: rec?.type,
              webhookId: rec?.webhookId,
              scheme: rec?.scheme,
              reason: r.storeError ?? rec?.reason,
              method: r.method,
              path: r.path,
              ms: Math.round(r.ms * 10) / 10,
            }),
          );
          return;
        }
        if (!rec) return;
        const verdict = r.stored ? rec.verdict : 'unstored';
        const label = verdictColour(r.stored ? rec.verdict : 'rejected', verdict.padEnd(9));
        const status = r.status < 300 ? c.green(String(r.status)) : c.red(String(r.status));
        const where = rec.method === 'POST' && rec.path.split('?')[0] === path ? '' : `${rec.method} ${rec.path}  `;
        const why = r.storeError ?? (rec.verdict === 'accepted' ? undefined : rec.reason);
        lines.write(
          `${c.dim(clock(rec.at))}  ${label} ${status}  ${(rec.type ?? '-').padEnd(17)} ${c.dim(rec.id)}  ${where}${why ? c.dim(why) : ''}`.trimEnd(),
        );
      },
    });
  } catch (err) {
    await forwarder?.close(0);
    await events.close().catch(() => {}); // the error that stopped start-up is the one to tell
    throw err;
  }

  // Resume deliveries the last run left pending.
  let resumed = 0;
  if (forwarder) {
    for (const p of recent.pending) {
      forwarder.dispatch(p.event, p.attempts);
      resumed++;
    }
  }

  // ---- the tunnel ----
  let fatal: ((err: Error) => void) | undefined;
  let tunnel: import('../core/receive/tunnel.js').Tunnel | undefined;
  if (opts.tunnel) {
    const { openTunnel } = await import('../core/receive/tunnel.js');
    const token = await config.resolveSetting(undefined, 'NGROK_AUTHTOKEN', 'ngrokAuthtoken', store);
    try {
      tunnel = await openTunnel(receiver.port, host, {
        ...(token ? { authtoken: token.value } : {}),
        ...(opts.domain ? { domain: opts.domain } : {}),
        onStatus: (s) => {
          if (s.kind === 'disconnected') out.warn(`the ngrok tunnel dropped${s.error ? ` (${s.error})` : ''}; reconnecting…`);
          else if (s.kind === 'reconnected') out.success('the ngrok tunnel is back');
          else fatal?.(new OperationError(s.error, { hint: 'check the network connection and start again, or use --no-tunnel' }));
        },
      });
    } catch (err) {
      await receiver.close(1000);
      await forwarder?.close(0);
      await events.close().catch(() => {}); // the error that stopped start-up is the one to tell
      throw err;
    }
  }
  const publicUrl = tunnel ? `${tunnel.url}${path}` : undefined;

  // ---- --register: a push configuration for the public URL, for as long as we run ----
  let registration: { session: import('../etsy/session.js').EtsySession; shopId: number; id: string | number } | undefined;
  if (opts.register && publicUrl) {
    const wanted =
      eventPatterns.length === 0
        ? EVENT_TYPES.filter((t) => t.source === 'etsy').map((t) => t.name)
        : [
            ...new Set([
              ...EVENT_TYPE_NAMES.filter((n) => accepts!(n)),
              ...eventPatterns.filter((p) => !p.includes('*') && !p.includes('?')),
            ]),
          ];
    try {
      const { openSession } = await import('./etsy-shared.js');
      const session = await openSession({ ...(opts.apiBase ? { apiBase: opts.apiBase } : {}), ...(opts.shop ? { shop: opts.shop } : {}) }, out);
      const shopId = await session.shopId();
      const created = await session.createPushConfiguration(shopId, { url: publicUrl, events: wanted });
      registration = { session, shopId, id: created.id };
      out.success(`registered push configuration ${created.id} for shop ${shopId} (${wanted.join(', ')}); it is deleted when dev stops`);
    } catch (err) {
      const e = err as { message?: string; hint?: string };
      out.warn(`could not register the public URL with Etsy: ${e.message ?? String(err)}${e.hint ? `; ${e.hint}` : ''} (still receiving)`);
    }
  }

  // ---- the banner ----
  const secretShown =
    created
      ? `${mask(secret.value)}  ${c.dim('(new, shown in full above; --print-secret shows it again)')}`
      : `${mask(secret.value)}  ${c.dim(`(from ${secret.source === 'flag' ? '--secret' : secret.source === 'env' ? 'ETSY_WEBHOOK_SECRET' : 'the stored config'}; --print-secret shows it)`)}`;
  const row = (k: string, v: string): void => out.info(`  ${c.bold(k.padEnd(9))}${v}`);
  out.info(c.bold('etsyhook dev: receiving Etsy webhooks'));
  row('Local', receiver.url);
  row('Public', publicUrl ? `${c.cyan(publicUrl)}  ${c.dim("← paste into Etsy's webhook portal")}` : c.dim('none (--no-tunnel)'));
  row('Events', eventPatterns.length ? eventPatterns.join(', ') : 'all');
  row('Forward', forwardTo ? `${forwardTo.href}  ${c.dim(`(timeout ${seconds(forwardTimeoutMs)}, ${maxAttempts} attempts)`)}` : c.dim('none (--forward-to URL)'));
  row('Secret', secretShown);
  row('Store', dir);
  if (resumed > 0) out.info(`  resuming ${resumed} pending deliver${resumed === 1 ? 'y' : 'ies'} from the last run`);
  else if (!forwarder && recent.pending.length > 0) {
    out.info(c.dim(`  ${recent.pending.length} deliveries are pending from the last run; start with --forward-to to resume them`));
  }
  out.info(`Ready: listening on ${receiver.url}. Press Ctrl-C to stop.`);

  // ---- run until a signal (exit 0) or a dead tunnel (exit 1) ----
  const outcome = await new Promise<{ signal?: string; error?: Error }>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => resolve({ signal });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    fatal = (error) => resolve({ error });
  });
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGHUP');
  // A second Ctrl-C while shutting down means now.
  const force = (): never => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);

  lines.flush();
  if (outcome.signal) out.info(c.dim(`stopping (${outcome.signal}): finishing writes in flight…`));
  await receiver.close(5_000);
  const pendingDeliveries = forwarder?.pending ?? 0;
  await forwarder?.close(2_000);
  await tunnel?.close();
  if (registration) {
    try {
      await registration.session.deletePushConfiguration(registration.shopId, registration.id);
      out.info(`deleted push configuration ${registration.id}`);
    } catch (err) {
      out.warn(`could not delete push configuration ${registration.id}: ${(err as Error).message}; delete it with etsyhook configs delete ${registration.id}`);
    }
  }
  // The last delivery attempts are synced here (they are written at once, synced within 100 ms).
  await events.close().catch((err: unknown) => out.warn(`the last delivery attempts may not be on disk: ${(err as Error).message}`));
  lines.flush();
  data.flush();
  const n = receiver.counts;
  out.info(
    `stopped: ${n.received} received (${n.accepted} accepted, ${n.rejected} rejected, ${n.duplicate} duplicate, ${n.ignored} ignored${n.unstored ? `, ${n.unstored} not stored` : ''})` +
      (pendingDeliveries > 0 ? `; ${pendingDeliveries} deliveries pending, resumed at the next start` : ''),
  );
  process.removeListener('SIGINT', force);
  process.removeListener('SIGTERM', force);
  if (outcome.error) throw outcome.error;
}

function isSelf(target: URL, host: string, port: number, path: string): boolean {
  const loopback = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0', host]);
  const targetPort = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return port !== 0 && targetPort === port && loopback.has(target.hostname) && target.pathname.replace(/\/+$/, '') === path.replace(/\/+$/, '');
}
