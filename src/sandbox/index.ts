// `etsyhook sandbox`, in-process: a local Etsy (Open API v3, OAuth, shop state) whose changes fire signed webhooks.
// startSandbox() loads the state log under its directory, serves until close(), and tells what happens through
// callbacks: it neither prints nor exits (the command and `dev --sandbox` render it).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensureDir } from '../home.js';
import { OperationError } from '../errors.js';
import { ETSY_RETRY_SCHEDULE_MS } from '../core/delivery/retry.js';
import { isoNow, type ApiRecord, type DeliveryRecord, type SandboxRecord } from '../core/log/records.js';
import { generateSecret } from '../core/receive/signature.js';
import { ETSY_SCOPES } from '../etsy/oauth.js';
import { ROUTES, type SandboxCore } from './api.js';
import { authorize, bearerUser, checkApiKey, token } from './auth.js';
import { checkHost, control } from './control.js';
import { ETSY_RATE_LIMIT, RateCounter, type Answer, type RateLimit, type Request } from './http.js';
import { loadLog, lockState, logSize, StateFileError, StateLog, writeLog } from './log.js';
import { newIdentity, type AppIdentity } from './model.js';
import { Outbox } from './outbox.js';
import { ApiFailure, SandboxState, type Entry } from './state.js';
import { readBody } from '../core/receive/body.js';

export { parseRateLimit } from './http.js';
export { StateFileError } from './log.js';

export const STATE_FILE = 'state.ndjson';
/** Rewrite the log as one snapshot at start once it is this big. */
const COMPACT_BYTES = 8 * 1024 * 1024;
const MAX_BODY = 1024 * 1024;

export interface SandboxOptions {
  /** The state directory ($ETSYHOOK_HOME/sandbox). */
  dir: string;
  port: number;
  host: string;
  /** Where apps reach the sandbox (apiBase, resource_url); default http://127.0.0.1:PORT. */
  publicUrl?: string;
  /** The webhook signing secret (stored); default the stored one, else a new one. */
  secret?: string;
  /** Endpoints subscribed to every event for this run. */
  webhooks?: readonly string[];
  retrySchedule?: readonly number[];
  /** Refuse past this rate with 429 (off by default; the headers always count down). */
  rateLimit?: RateLimit;
  /** Start again from the seed (the app's credentials and webhook secret are kept). */
  fresh?: boolean;
  onRecord?: (record: ApiRecord | DeliveryRecord) => void;
  onWarning?: (message: string) => void;
}

export interface RunningSandbox {
  apiBase: string;
  origin: string;
  /** Where it listens (http://HOST:PORT), which --public-url may not name. */
  listening: string;
  info: SandboxRecord;
  /** What an app needs, as environment variables. */
  env: Record<string, string>;
  /** The shop's active listings, for a banner's example (`order create --listing ID`). */
  activeListings(): { listingId: number; title: string; quantity: number }[];
  /** Webhooks not yet delivered (resumed at the next start). */
  pendingWebhooks(): number;
  close(): Promise<void>;
}

export async function startSandbox(o: SandboxOptions): Promise<RunningSandbox> {
  ensureDir(o.dir);
  const file = join(o.dir, STATE_FILE);
  let ready!: (core: SandboxCore | Error) => void;
  const whenReady = new Promise<SandboxCore | Error>((r) => (ready = r));
  const rate = new RateCounter(o.rateLimit ?? ETSY_RATE_LIMIT, o.rateLimit !== undefined);
  const allowed = new Set<string>();
  const server = createServer({ keepAlive: true }, (req, res) =>
    void whenReady.then((core) => {
      if (core instanceof Error) res.destroy();
      else void serve(core, req, res, rate, allowed, o.onRecord);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${o.host}:${o.port}`;
      if (err.code === 'EADDRINUSE') reject(new OperationError(`cannot listen on ${where}: the port is in use`, { hint: 'stop what is using it (another etsyhook sandbox?), or pick another with --port' }));
      else reject(new OperationError(`cannot listen on ${where}: ${err.message}`));
    });
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = (o.publicUrl ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  for (const h of ['127.0.0.1', 'localhost', '[::1]']) allowed.add(`${h}:${port}`);
  allowed.add(new URL(origin).host.toLowerCase());
  const apiBase = `${origin}/v3`;
  const state = new SandboxState(apiBase, origin);
  let log: StateLog;
  let unlock: (() => void) | undefined;
  try {
    unlock = lockState(file);
    load(state, file, o);
    log = await StateLog.open(file);
  } catch (err) {
    unlock?.();
    ready(err as Error);
    await new Promise<void>((r) => server.close(() => r()));
    throw err;
  }
  const core: SandboxCore & { outbox?: Outbox } = {
    state,
    runWebhooks: o.webhooks ?? [],
    commit: async (entry: Entry) => {
      state.apply(entry);
      await log.append(entry);
      if (entry.webhooks) core.outbox?.kick();
    },
  };
  const outbox = new Outbox({
    state,
    schedule: o.retrySchedule ?? ETSY_RETRY_SCHEDULE_MS,
    commit: core.commit,
    onAttempt: (r) => o.onRecord?.(r),
    onError: (err) => o.onWarning?.(`webhook delivery: ${err.message}`),
  });
  core.outbox = outbox;
  ready(core);
  outbox.kick();
  const info = infoOf(state.app, apiBase);
  return {
    apiBase,
    origin,
    listening: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    info,
    env: envOf(info, origin),
    activeListings: () =>
      [...state.listings.values()].filter((l) => l.state === 'active').map((l) => ({ listingId: l.listing_id, title: l.title, quantity: l.quantity })),
    pendingWebhooks: () => state.webhooks.size,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await closed;
      await outbox.close();
      await log.close();
      unlock?.();
    },
  };
}

/** Read the log (or start from the seed), compacting it when large; the banner's tokens carry every scope. */
function load(state: SandboxState, file: string, o: SandboxOptions): void {
  let app: AppIdentity | undefined;
  let entries: Record<string, unknown>[] = [];
  try {
    const loaded = loadLog(file);
    if (loaded.dropped !== undefined) o.onWarning?.(loaded.dropped);
    entries = loaded.entries;
  } catch (err) {
    if (!o.fresh) throw err;
  }
  try {
    for (const e of entries) state.apply(e as Entry);
  } catch {
    if (!o.fresh) throw new StateFileError(`the sandbox state ${file} holds a record this version cannot read; start again with etsyhook sandbox --fresh`);
  }
  app = entries.length > 0 ? state.app : undefined;
  const changed = app !== undefined && o.secret !== undefined && o.secret !== app.webhookSecret;
  if (app !== undefined && o.secret !== undefined) app = { ...app, webhookSecret: o.secret };
  if (o.fresh || app === undefined) {
    const identity = app ?? newIdentity(o.secret ?? generateSecret());
    const keep = [...state.tokens.values()];
    const seed = state.seed(identity, false);
    state.apply(seed);
    state.apply({ tokens: keep });
    writeLog(file, [state.snapshot()]);
  } else if (changed || logSize(file) > COMPACT_BYTES) {
    state.apply({ app });
    writeLog(file, [state.snapshot()]);
  }
  const a = state.app;
  state.apply({
    tokens: [
      { token: a.accessToken, kind: 'access', userId: a.userId, scopes: [...ETSY_SCOPES], expiresAt: null },
      { token: a.refreshToken, kind: 'refresh', userId: a.userId, scopes: [...ETSY_SCOPES], expiresAt: null },
    ],
  });
}

function infoOf(a: AppIdentity, apiBase: string): SandboxRecord {
  return { kind: 'sandbox', apiBase, keystring: a.keystring, sharedSecret: a.sharedSecret, accessToken: a.accessToken, refreshToken: a.refreshToken, userId: a.userId, shopId: a.shopId, webhookSecret: a.webhookSecret };
}

function envOf(i: SandboxRecord, origin: string): Record<string, string> {
  return {
    ETSY_API_BASE: i.apiBase,
    ETSY_API_KEY: i.keystring,
    ETSY_SHARED_SECRET: i.sharedSecret,
    ETSY_ACCESS_TOKEN: i.accessToken,
    ETSY_REFRESH_TOKEN: i.refreshToken,
    ETSY_SHOP_ID: String(i.shopId),
    ETSY_WEBHOOK_SECRET: i.webhookSecret,
    ETSY_OAUTH_AUTHORIZE_URL: `${origin}/oauth/connect`,
  };
}

async function serve(core: SandboxCore, req: IncomingMessage, res: ServerResponse, rate: RateCounter, allowed: ReadonlySet<string>, onRecord: SandboxOptions['onRecord']): Promise<void> {
  const started = performance.now();
  const url = new URL(req.url ?? '/', 'http://sandbox');
  let answer: Answer;
  let rateHeaders: Record<string, string> | undefined;
  try {
    const body = await readBody(req, MAX_BODY, () => new ApiFailure(413, 'The request body is too large'));
    const request: Request = { method: req.method ?? 'GET', url, headers: req.headers, body };
    if (url.pathname.startsWith('/v3/')) {
      const taken = rate.take();
      rateHeaders = taken.headers;
      if (taken.retryAfter !== undefined) answer = { status: 429, body: { error: 'You have exceeded your quota of requests' }, headers: { 'retry-after': String(taken.retryAfter) } };
      else answer = await route(core, request);
    } else if (url.pathname === '/oauth/connect' && request.method === 'GET') answer = await authorize(core, request);
    else if (url.pathname.startsWith('/_sandbox/')) {
      checkHost(request, allowed);
      answer = await control(core, request);
    } else answer = { status: 404, body: { error: `No such path: ${url.pathname}` } };
  } catch (err) {
    answer = err instanceof ApiFailure ? { status: err.status, body: { error: err.message } } : { status: 500, body: { error: (err as Error).message } };
  }
  send(res, answer, rateHeaders);
  onRecord?.({ kind: 'api', at: isoNow(), method: req.method ?? 'GET', path: url.pathname, httpStatus: answer.status, ms: Math.round((performance.now() - started) * 100) / 100 });
}

async function route(core: SandboxCore, req: Request): Promise<Answer> {
  if (req.url.pathname === '/v3/public/oauth/token') {
    if (req.method !== 'POST') throw new ApiFailure(405, 'Method Not Allowed');
    return token(core, req);
  }
  if (!req.url.pathname.startsWith('/v3/application/')) throw new ApiFailure(404, `No such path: ${req.url.pathname}`);
  checkApiKey(core, req);
  let pathMatched = false;
  for (const r of ROUTES) {
    const m = r.pattern.exec(req.url.pathname);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== req.method) continue;
    const userId = r.scope !== undefined ? bearerUser(core, req, r.scope) : optionalUser(core, req);
    return r.handle(core, m.slice(1), req, userId);
  }
  throw new ApiFailure(pathMatched ? 405 : 404, pathMatched ? `${req.method} is not allowed on ${req.url.pathname}` : `No such path: ${req.url.pathname}`);
}

/** A public operation called with a token: its user (listings in other states need listings_r), or none. */
function optionalUser(core: SandboxCore, req: Request): number | undefined {
  if (req.headers.authorization === undefined) return undefined;
  try {
    return bearerUser(core, req, 'listings_r');
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, a: Answer, rateHeaders: Record<string, string> | undefined): void {
  const headers: Record<string, string> = { ...rateHeaders, ...a.headers };
  if (a.body === undefined && a.raw === undefined) {
    res.writeHead(a.status, headers);
    res.end();
    return;
  }
  const text = a.raw ?? (typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
  headers['content-type'] ??= 'application/json';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(a.status, headers);
  res.end(text);
}
