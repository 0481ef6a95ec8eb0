// `dev`'s runtime: the pipeline (the file log, or Redis with --queue) under the receiver, the ngrok tunnel, the push
// configuration --register keeps while dev runs, and the web inspector beside it, from narrow settings. It neither
// prints nor exits: what the user should hear goes through `notices`, a fatal tunnel loss through `onFatal`.
import { ConfigStore, resolveSetting } from '../config.js';
import { DEFAULT_RETENTION } from '../core/defaults.js';
import type { Route } from '../core/delivery/routes.js';
import { EVENT_TYPES, EVENT_TYPE_NAMES } from '../core/events/catalog.js';
import { typeMatcher } from '../core/events/globs.js';
import { openHistory } from '../core/history/index.js';
import type { QueueTarget } from '../core/queue/url.js';
import type { Scheme } from '../core/receive/signature.js';
import type { Tunnel } from '../core/receive/tunnel.js';
import { OperationError } from '../errors.js';
import type { EtsySession } from '../etsy/session.js';
import { sandboxDir, storeDir } from '../home.js';
import { logPath } from '../core/log/store.js';
import { storeDamage } from '../ui/words.js';
import type { Inspector } from '../inspector/index.js';
import { startLocalPipeline, type Pipeline, type PipelineClosed, type PipelineObserver } from './pipeline.js';
import { startQueuePipeline } from './queue.js';

export interface DevSettings {
  host: string;
  port: number;
  path: string;
  secret: string;
  scheme: Scheme | undefined;
  toleranceSeconds: number;
  maxBody: number;
  /** Event-type globs to dispatch; empty: every type. */
  events: string[];
  forwardTo: URL | undefined;
  /** The routes, once read and checked; undefined without --route/--routes. */
  routes?: Route[] | undefined;
  forwardTimeoutMs: number;
  insecure: boolean;
  maxAttempts: number;
  /** The delay before each attempt; undefined: the forwarder's default. */
  retrySchedule: number[] | undefined;
  tunnel: boolean;
  domain: string | undefined;
  register: boolean;
  shop: string | undefined;
  apiBase: string | undefined;
  /** Where the web inspector listens (the next free port if taken); undefined: no inspector. */
  inspectPort: number | undefined;
  /** Run `etsyhook sandbox` (a local Etsy) beside the receiver on this port, delivering to it; undefined: none. */
  sandboxPort: number | undefined;
  /** The Redis sink instead of the file log. */
  queue: QueueTarget | undefined;
  legacyQueue: string | undefined;
}

export interface DevNotices {
  info(message: string): void;
  warn(message: string): void;
  success(message: string): void;
  debug(message: string): void;
}

export interface RunningDev {
  pipeline: Pipeline;
  /** Where events are kept: the store's directory, or `Redis at host:port`. */
  store: string;
  /** Deliveries pending from the last run (the file log's). */
  pending: number;
  publicUrl: string | undefined;
  inspector: Inspector | undefined;
  /** With a sandbox: the variables an app sets to use it (its API base and throwaway credentials). */
  sandboxEnv: Record<string, string> | undefined;
  /** Inspector, pipeline, tunnel and registration, closed in that order. */
  close(): Promise<PipelineClosed>;
}

export async function startDev(s: DevSettings, observers: readonly PipelineObserver[], notices: DevNotices, onFatal: (err: Error) => void): Promise<RunningDev> {
  const delivery = { maxAttempts: s.maxAttempts, timeoutMs: s.forwardTimeoutMs, insecure: s.insecure, ...(s.retrySchedule !== undefined ? { schedule: s.retrySchedule } : {}) };
  const dir = s.queue ? undefined : storeDir();
  const parts = {
    receiver: {
      host: s.host,
      port: s.port,
      path: s.path,
      secret: s.secret,
      ...(s.scheme !== undefined ? { scheme: s.scheme } : {}),
      toleranceSeconds: s.toleranceSeconds,
      maxBody: s.maxBody,
      ...(s.events.length > 0 ? { accepts: typeMatcher(s.events) } : {}),
    },
    ...(s.routes ? { routes: { ...delivery, routes: s.routes } } : s.forwardTo ? { forward: { ...delivery, target: s.forwardTo.href } } : {}),
    observers,
  };
  let pipeline: Pipeline;
  let pending = 0;
  if (s.queue) {
    const where = s.queue.where;
    pipeline = await startQueuePipeline({
      ...parts,
      target: s.queue,
      retention: { ...DEFAULT_RETENTION },
      ...(s.legacyQueue === undefined ? {} : { legacyQueue: s.legacyQueue }),
      onDown: (reason) => notices.warn(`lost Redis at ${where}: ${reason}; answering 503 until it is back`),
      onUp: () => notices.info(`Redis at ${where} is back`),
    });
  } else {
    const started = await startLocalPipeline({ dir: dir!, ...parts });
    pipeline = started.pipeline;
    const recent = started.recent;
    pending = recent.pending.length;
    notices.debug(`start-up scan: ${recent.scanned} recent records, ${recent.acceptedIds.length} accepted webhook-ids, ${recent.pending.length} pending deliveries`);
    if (recent.badLines > 0) notices.warn(storeDamage(recent, logPath(dir!)));
  }
  const tunnel = s.tunnel ? await openPublicTunnel(s, pipeline, notices, onFatal) : undefined;
  const publicUrl = tunnel ? `${tunnel.url}${s.path}` : undefined;
  const registration = s.register && publicUrl ? await registerPublicUrl(s, publicUrl, notices) : undefined;
  // The inspector reads what the pipeline writes (the file log or the Redis history), and records its replays
  // through the pipeline's sink.
  const inspector = s.inspectPort === undefined ? undefined : await openDevInspector(s, dir, pipeline, notices);
  const sandbox = s.sandboxPort === undefined ? undefined : await startDevSandbox(s.sandboxPort, s.secret, pipeline.url, notices);
  return {
    pipeline,
    store: pipeline.sink.health().store,
    pending,
    publicUrl,
    inspector,
    sandboxEnv: sandbox?.env,
    close: async () => {
      await inspector?.close();
      await sandbox?.close();
      const closed = await pipeline.close(5_000);
      await tunnel?.close();
      if (registration) await unregister(registration, notices);
      return closed;
    },
  };
}

/** A port that cannot be had costs the inspector, not the receiver: a warning. */
async function openDevInspector(s: DevSettings, dir: string | undefined, pipeline: Pipeline, notices: DevNotices): Promise<Inspector | undefined> {
  const { openInspector } = await import('../inspector/index.js');
  try {
    const history = await openHistory({
      queue: s.queue,
      ...(dir === undefined ? {} : { dir }),
      attempts: pipeline.sink,
      onFollowError: (err) => notices.warn(`the inspector lost ${history.name}: ${err.message.split('\n')[0]}; retrying`),
    });
    return await openInspector({
      port: s.inspectPort!,
      nextFreePort: true,
      history,
      secret: s.secret,
      toleranceSeconds: s.toleranceSeconds,
      ...(s.forwardTo ? { forwardTo: s.forwardTo.href } : {}),
    });
  } catch (err) {
    // openInspector closes the history it was given when its server cannot start.
    notices.warn(`the web inspector is off: ${(err as Error).message} (pass --inspect-port N, or --no-inspect)`);
    return undefined;
  }
}

async function openPublicTunnel(s: DevSettings, pipeline: Pipeline, notices: DevNotices, fatal: (err: Error) => void): Promise<Tunnel> {
  const { openTunnel } = await import('../core/receive/tunnel.js');
  const token = await resolveSetting(undefined, 'NGROK_AUTHTOKEN', 'ngrokAuthtoken', new ConfigStore());
  try {
    return await openTunnel(pipeline.receiver.port, s.host, {
      ...(token ? { authtoken: token.value } : {}),
      ...(s.domain ? { domain: s.domain } : {}),
      onStatus: (st) => {
        if (st.kind === 'disconnected') notices.warn(`the ngrok tunnel dropped${st.error ? ` (${st.error})` : ''}; reconnecting…`);
        else if (st.kind === 'reconnected') notices.success('the ngrok tunnel is back');
        else fatal(new OperationError(st.error, { hint: 'check the network connection and start again, or use --no-tunnel' }));
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
async function registerPublicUrl(s: DevSettings, publicUrl: string, notices: DevNotices): Promise<Registration | undefined> {
  const accepts = typeMatcher(s.events);
  const wanted =
    s.events.length === 0
      ? EVENT_TYPES.filter((t) => t.source === 'etsy').map((t) => t.name)
      : [...new Set([...EVENT_TYPE_NAMES.filter((n) => accepts(n)), ...s.events.filter((p) => !p.includes('*') && !p.includes('?'))])];
  try {
    // The Etsy client (and its HTTP stack) only for --register.
    const { openEtsySession } = await import('../etsy/session.js');
    const session = await openEtsySession({
      ...(s.apiBase ? { apiBase: s.apiBase } : {}),
      ...(s.shop ? { shop: s.shop } : {}),
      log: (line) => notices.debug(line),
      onNotice: (line) => notices.warn(line),
    });
    const shopId = await session.shopId();
    const created = await session.createPushConfiguration(shopId, { url: publicUrl, events: wanted });
    notices.success(`registered push configuration ${created.id} for shop ${shopId} (${wanted.join(', ')}); it is deleted when dev stops`);
    return { session, shopId, id: created.id };
  } catch (err) {
    const e = err as { message?: string; hint?: string };
    notices.warn(`could not register the public URL with Etsy: ${e.message ?? String(err)}${e.hint ? `; ${e.hint}` : ''} (still receiving)`);
    return undefined;
  }
}

async function unregister(r: Registration, notices: DevNotices): Promise<void> {
  try {
    await r.session.deletePushConfiguration(r.shopId, r.id);
    notices.info(`deleted push configuration ${r.id}`);
  } catch (err) {
    notices.warn(`could not delete push configuration ${r.id}: ${(err as Error).message}; delete it with etsyhook configs delete ${r.id}`);
  }
}

/** `dev --sandbox`: the local Etsy beside the receiver, delivering to it, signed with dev's own secret. */
async function startDevSandbox(port: number, secret: string, receiverUrl: string, notices: DevNotices): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  const { startSandbox } = await import('../sandbox/index.js');
  return startSandbox({
    dir: sandboxDir(),
    port,
    host: '127.0.0.1',
    secret,
    webhooks: [receiverUrl],
    onRecord: (r) => notices.debug(r.kind === 'api' ? `sandbox: ${r.method} ${r.path} → ${r.httpStatus}` : `sandbox: webhook ${r.webhookId ?? r.id} ${r.status}`),
    onWarning: (m) => notices.warn(`sandbox: ${m}`),
  });
}
