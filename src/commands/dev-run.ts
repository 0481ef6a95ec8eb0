// The running half of `etsyhook dev`, loaded only when dev runs: the secret, the pipeline with the terminal's lines,
// the tunnel and --register, the banner, and a clean stop on Ctrl-C/SIGTERM.
import { ConfigStore, resolveSetting, storeDir } from '../config.js';
import { sandboxDir } from '../home.js';
import { EVENT_TYPES, EVENT_TYPE_NAMES } from '../core/events/catalog.js';
import { typeMatcher } from '../core/events/globs.js';
import { generateSecret, isValidSecret } from '../core/receive/signature.js';
import type { Tunnel } from '../core/receive/tunnel.js';
import { DEFAULT_RETRY_SCHEDULE_MS, describeSchedule } from '../core/delivery/retry.js';
import { OperationError, UsageError } from '../errors.js';
import type { EtsySession } from '../etsy/session.js';
import { startLocalPipeline, type Pipeline } from '../pipeline/pipeline.js';
import { DEFAULT_RETENTION } from '../core/queue/url.js';
import { formatWait } from '../ui/event-line.js';
import { liveLines } from '../ui/live-lines.js';
import { routeTable } from '../ui/route-table.js';
import { plural } from '../ui/words.js';
import { mask, type Output } from '../ui/output.js';
import { listeningNote, portMovedNote, storeDamage } from '../ui/words.js';
import { logPath } from '../core/log/store.js';
import type { DevOptions } from './dev-options.js';
import type { Inspector } from '../inspector/index.js';
import { openHistory } from '../core/history/index.js';

export interface DevSecret {
  value: string;
  source: 'flag' | 'env' | 'config';
  /** Made up now (none was given or stored): real Etsy deliveries will not verify against it. */
  created: boolean;
}

/** --secret > ETSY_WEBHOOK_SECRET > stored > a new one, stored 0600 and shown once, in full. */
export async function devSecret(o: DevOptions, out: Output): Promise<DevSecret> {
  const store = new ConfigStore();
  const found = await resolveSetting(o.secret, 'ETSY_WEBHOOK_SECRET', 'webhookSecret', store);
  if (found !== undefined) return { ...found, created: false };
  const value = generateSecret();
  await store.set({ webhookSecret: value });
  if (!o.printSecret) {
    // Shown at once, this one time: whatever fails later in start-up, the user has seen the stored secret.
    out.info(`${out.c.yellow('Created a signing secret')} (stored in ${await store.path()}; later runs show it masked):`);
    out.info(`  ${value}`);
  }
  return { value, source: 'config', created: true };
}

export async function runReceiver(o: DevOptions, secret: DevSecret, out: Output): Promise<void> {
  checkSecret(o, secret, out);
  for (const w of o.eventWarnings) out.warn(`--events: ${w}`);
  for (const u of o.unknownEvents) {
    out.warn(`--events: '${u.pattern}' is not a known event type${u.near.length ? ` (did you mean ${u.near.join(', ')}?)` : ''}; see etsyhook events types`);
  }
  const https = o.forwardTo?.protocol === 'https:' || (o.routes ?? []).some((r) => r.target.kind === 'http' && r.target.url.startsWith('https:'));
  if (o.insecure && !https) out.warn('--insecure only matters for an https --forward-to or route');
  const schedule = o.retrySchedule;
  const routes = o.routes;
  const lines = liveLines(out, {
    held: true,
    maxAttempts: o.maxAttempts,
    ...(routes ? { maxAttemptsOf: (route: string) => routes.find((r) => r.label === route)?.maxAttempts } : {}),
    ...(o.queue ? { queue: o.queue.url } : {}),
  });
  const delivery = {
    maxAttempts: o.maxAttempts,
    timeoutMs: o.forwardTimeoutMs,
    insecure: o.insecure,
    ...(schedule !== undefined ? { schedule } : {}),
  };
  const dir = storeDir();
  const start = o.queue ? startOnQueue(o, out) : startLocalPipeline;
  const { pipeline, recent } = await start({
    dir,
    receiver: {
      host: o.host,
      port: o.port,
      path: o.path,
      secret: secret.value,
      ...(o.scheme !== undefined ? { scheme: o.scheme } : {}),
      toleranceSeconds: o.toleranceSeconds,
      maxBody: o.maxBody,
      ...(o.events.length > 0 ? { accepts: typeMatcher(o.events) } : {}),
    },
    ...(routes ? { routes: { ...delivery, routes } } : o.forwardTo ? { forward: { ...delivery, target: o.forwardTo.href } } : {}),
    observers: [lines],
  });
  out.debug(`start-up scan: ${recent.scanned} recent records, ${recent.acceptedIds.length} accepted webhook-ids, ${recent.pending.length} pending deliveries`);
  if (recent.badLines > 0) out.warn(storeDamage(recent, logPath(dir)));

  let fatal: ((err: Error) => void) | undefined;
  const tunnel = o.tunnel ? await openPublicTunnel(o, pipeline, out, (err) => fatal?.(err)) : undefined;
  const publicUrl = tunnel ? `${tunnel.url}${o.path}` : undefined;
  const registration = o.register && publicUrl ? await registerPublicUrl(o, publicUrl, out) : undefined;
  // The inspector reads what the pipeline writes (the file log or the Redis history), and records its replays
  // through the pipeline's sink.
  const inspector = o.inspectPort === undefined ? undefined : await openDevInspector(o, secret, dir, pipeline, out);
  const sandbox = o.sandboxPort === undefined ? undefined : await startDevSandbox(o.sandboxPort, secret, pipeline.url, out);
  printBanner(o, secret, pipeline, publicUrl, inspector && inspector.url + out.c.dim(portMovedNote(o.inspectPort!, inspector.port)), pipeline.sink.health().store, recent.pending.length, out, sandbox?.env);
  lines.release();

  const outcome = await untilStopped((f) => (fatal = f));
  lines.flush();
  if (outcome.signal) out.info(out.c.dim(`stopping (${outcome.signal}): finishing writes in flight…`));
  await inspector?.close();
  await sandbox?.close();
  const closed = await pipeline.close(5_000);
  await tunnel?.close();
  if (registration) await unregister(registration, out);
  if (closed.sinkError) out.warn(`the last delivery attempts may not be on disk: ${closed.sinkError.message}`);
  lines.flush();
  printStopped(pipeline, closed.pendingDeliveries, out);
  if (outcome.error) throw outcome.error;
}

/** `dev --sandbox`: the local Etsy beside the receiver, delivering to it, signed with dev's own secret. */
async function startDevSandbox(port: number, secret: DevSecret, receiverUrl: string, out: Output): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  if (!isValidSecret(secret.value, 'standard')) {
    throw new UsageError('--sandbox signs with a whsec_ secret, and this one is not', 'start dev with --secret whsec_… (etsyhook dev --print-secret makes one)');
  }
  const { startSandbox } = await import('../sandbox/index.js');
  return startSandbox({
    dir: sandboxDir(),
    port,
    host: '127.0.0.1',
    secret: secret.value,
    webhooks: [receiverUrl],
    onRecord: (r) => out.debug(r.kind === 'api' ? `sandbox: ${r.method} ${r.path} → ${r.httpStatus}` : `sandbox: webhook ${r.webhookId ?? r.id} ${r.status}`),
    onWarning: (m) => out.warn(`sandbox: ${m}`),
  });
}

/** A port that cannot be had costs the inspector, not the receiver: a warning. */
async function openDevInspector(o: DevOptions, secret: DevSecret, dir: string, pipeline: Pipeline, out: Output): Promise<Inspector | undefined> {
  const { openInspector } = await import('../inspector/index.js');
  try {
    const history = await openHistory({
      queue: o.queue,
      dir,
      attempts: pipeline.sink,
      onFollowError: (err) => out.warn(`the inspector lost ${history.name}: ${err.message.split('\n')[0]}; retrying`),
    });
    return await openInspector({
      port: o.inspectPort!,
      nextFreePort: true,
      history,
      secret: secret.value,
      toleranceSeconds: o.toleranceSeconds,
      ...(o.forwardTo ? { forwardTo: o.forwardTo.href } : {}),
    });
  } catch (err) {
    // openInspector closes the history it was given when its server cannot start.
    out.warn(`the web inspector is off: ${(err as Error).message} (pass --inspect-port N, or --no-inspect)`);
    return undefined;
  }
}

function checkSecret(o: DevOptions, secret: DevSecret, out: Output): void {
  const standardOk = isValidSecret(secret.value, 'standard');
  if (o.scheme === 'standard' && !standardOk) {
    throw new UsageError('--scheme standard needs a Standard Webhooks secret (whsec_ followed by base64)', 'check --secret / ETSY_WEBHOOK_SECRET');
  }
  if (!standardOk && o.scheme === undefined) {
    out.warn('the secret is not a Standard Webhooks secret (whsec_… base64): only legacy X-Etsy-Signature deliveries will verify');
  }
}

async function openPublicTunnel(o: DevOptions, pipeline: Pipeline, out: Output, fatal: (err: Error) => void): Promise<Tunnel> {
  const { openTunnel } = await import('../core/receive/tunnel.js');
  const token = await resolveSetting(undefined, 'NGROK_AUTHTOKEN', 'ngrokAuthtoken', new ConfigStore());
  try {
    return await openTunnel(pipeline.receiver.port, o.host, {
      ...(token ? { authtoken: token.value } : {}),
      ...(o.domain ? { domain: o.domain } : {}),
      onStatus: (s) => {
        if (s.kind === 'disconnected') out.warn(`the ngrok tunnel dropped${s.error ? ` (${s.error})` : ''}; reconnecting…`);
        else if (s.kind === 'reconnected') out.success('the ngrok tunnel is back');
        else fatal(new OperationError(s.error, { hint: 'check the network connection and start again, or use --no-tunnel' }));
      },
    });
  } catch (err) {
    await pipeline.close(1_000);
    throw err;
  }
}

interface Registration {
  session: EtsySession;
  shopId: number;
  id: string | number;
}

/** --register: a push configuration for the public URL, for as long as dev runs. A failure is a warning. */
async function registerPublicUrl(o: DevOptions, publicUrl: string, out: Output): Promise<Registration | undefined> {
  const accepts = typeMatcher(o.events);
  const wanted =
    o.events.length === 0
      ? EVENT_TYPES.filter((t) => t.source === 'etsy').map((t) => t.name)
      : [...new Set([...EVENT_TYPE_NAMES.filter((n) => accepts(n)), ...o.events.filter((p) => !p.includes('*') && !p.includes('?'))])];
  try {
    const { openSession } = await import('./etsy-shared.js');
    const session = await openSession({ ...(o.apiBase ? { apiBase: o.apiBase } : {}), ...(o.shop ? { shop: o.shop } : {}) }, out);
    const shopId = await session.shopId();
    const created = await session.createPushConfiguration(shopId, { url: publicUrl, events: wanted });
    out.success(`registered push configuration ${created.id} for shop ${shopId} (${wanted.join(', ')}); it is deleted when dev stops`);
    return { session, shopId, id: created.id };
  } catch (err) {
    const e = err as { message?: string; hint?: string };
    out.warn(`could not register the public URL with Etsy: ${e.message ?? String(err)}${e.hint ? `; ${e.hint}` : ''} (still receiving)`);
    return undefined;
  }
}

async function unregister(r: Registration, out: Output): Promise<void> {
  try {
    await r.session.deletePushConfiguration(r.shopId, r.id);
    out.info(`deleted push configuration ${r.id}`);
  } catch (err) {
    out.warn(`could not delete push configuration ${r.id}: ${(err as Error).message}; delete it with etsyhook configs delete ${r.id}`);
  }
}

function printBanner(
  o: DevOptions,
  secret: DevSecret,
  pipeline: Pipeline,
  publicUrl: string | undefined,
  inspectUrl: string | undefined,
  dir: string,
  pending: number,
  out: Output,
  sandboxEnv?: Record<string, string>,
): void {
  const c = out.c;
  const from = secret.source === 'flag' ? '--secret' : secret.source === 'env' ? 'ETSY_WEBHOOK_SECRET' : 'the stored config';
  const row = (k: string, v: string): void => out.info(`  ${c.bold(k.padEnd(9))}${v}`);
  out.info(c.bold('etsyhook dev: receiving Etsy webhooks'));
  row('Local', pipeline.url + c.dim(listeningNote(o.host)));
  row('Inspect', inspectUrl ?? c.dim(o.inspectPort === undefined ? 'off (--no-inspect)' : 'off'));
  row('Public', publicUrl ? `${c.cyan(publicUrl)}  ${c.dim("← paste into Etsy's webhook portal")}` : c.dim('none (--no-tunnel)'));
  row('Events', o.events.length ? o.events.join(', ') : 'all');
  if (o.routes) {
    row('Routes', '');
    for (const l of routeTable(o.routes, c, { timeoutMs: o.forwardTimeoutMs, maxAttempts: o.maxAttempts })) out.info(`    ${l}`);
  } else {
    row('Forward', o.forwardTo ? `${o.forwardTo.href}  ${c.dim(`(timeout ${formatWait(o.forwardTimeoutMs)}, ${plural(o.maxAttempts, 'attempt')}: ${describeSchedule((o.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS).slice(0, o.maxAttempts))})`)}` : c.dim('none (--forward-to URL or --route GLOB=TARGET)'));
  }
  row('Secret', `${mask(secret.value)}  ${c.dim(secret.created ? '(new, shown in full above; --print-secret shows it again)' : `(from ${from}; --print-secret shows it)`)}`);
  if (secret.created) {
    out.info(c.yellow("  Real Etsy deliveries are signed with the secret shown in Etsy's webhook portal: start with"));
    out.info(c.yellow("  --secret 'whsec_…' or store it once with `etsyhook config set webhook-secret 'whsec_…'`."));
  }
  row('Store', dir);
  if (pipeline.resumed > 0) out.info(`  resuming ${pipeline.resumed} pending deliver${pipeline.resumed === 1 ? 'y' : 'ies'} from the last run`);
  else if (!o.forwardTo && !o.routes && pending > 0) {
    out.info(c.dim(`  ${pending} deliver${pending === 1 ? 'y is' : 'ies are'} pending from the last run; start with --forward-to to resume them`));
  }
  if (sandboxEnv) {
    row('Sandbox', `${sandboxEnv.ETSY_API_BASE}  ${c.dim('(a local Etsy delivering here; for your app:)')}`);
    // dev's own secret stays masked, as everywhere in dev's output; the rest are the sandbox's throwaway credentials.
    for (const [k, v] of Object.entries(sandboxEnv)) out.info(`    ${k}=${k === 'ETSY_WEBHOOK_SECRET' ? `${mask(v)}  ${c.dim('(etsyhook dev --print-secret)')}` : v}`);
  }
  out.info(`Ready: listening on ${pipeline.url}. Press Ctrl-C to stop.`);
}

function printStopped(pipeline: Pipeline, pendingDeliveries: number, out: Output): void {
  const n = pipeline.counts;
  out.info(
    `stopped: ${n.received} received (${n.accepted} accepted, ${n.rejected} rejected, ${n.duplicate} duplicate, ${n.ignored} ignored${n.unstored ? `, ${n.unstored} not stored` : ''})` +
      (pendingDeliveries > 0 ? `; ${pendingDeliveries} deliveries pending, resumed at the next start` : ''),
  );
}

/** Resolves on SIGINT/SIGTERM/SIGHUP (exit 0) or a fatal error (a dead tunnel: exit 1). A second signal exits at once. */
async function untilStopped(onFatal: (fatal: (err: Error) => void) => void): Promise<{ signal?: string; error?: Error }> {
  const outcome = await new Promise<{ signal?: string; error?: Error }>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => resolve({ signal });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    onFatal((error) => resolve({ error }));
  });
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGHUP');
  const force = (): never => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  return outcome;
}

/** `dev --queue`: the same pipeline on the Redis sink (nothing to resume: pending work lives in Redis). */
function startOnQueue(o: DevOptions, out: Output): typeof startLocalPipeline {
  return async (s) => {
    const { startQueuePipeline } = await import('../pipeline/queue.js');
    const where = o.queue!.where;
    const pipeline = await startQueuePipeline({
      ...s,
      target: o.queue!,
      retention: { ...DEFAULT_RETENTION },
      ...(o.legacyQueue === undefined ? {} : { legacyQueue: o.legacyQueue }),
      onDown: (reason) => out.warn(`lost Redis at ${where}: ${reason}; answering 503 until it is back`),
      onUp: () => out.info(`Redis at ${where} is back`),
    });
    return { pipeline, recent: { acceptedIds: [], pending: [], scanned: 0, badLines: 0, truncated: false } };
  };
}

