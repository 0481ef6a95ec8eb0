// The inspector's HTTP server: the page and the JSON API it uses, on loopback only. A local web server is an attack
// surface: every request must name this server in its Host (DNS rebinding), come from its own origin, and a replay
// must carry the per-run token that only the page knows. The signing secret never leaves this process.
import { EtsyhookError } from '../errors.js';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSince, splitList } from '../parse.js';
import { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_LOCAL_TARGET } from '../core/defaults.js';
import { catalogEntries, withCurrentNames } from '../core/events/catalog.js';
import type { StoredEvent } from '../core/log/query.js';
import { EVENT_STATUSES, type DeliveryRecord, type EventStatus, type ReceivedRecord, type StoreRecord } from '../core/log/records.js';
import { buildReplayRequest, replayEvents, type Resign, type Sender } from '../core/delivery/replay.js';
import { eventDetailJson } from '../ui/event-detail.js';
import { attemptJson, eventJson } from '../ui/present.js';
import { diagnoseSignature } from './diagnose.js';
import { BadCursorError, liveMatcher, LookupError, type History, type HistoryQuery } from '../core/history/history.js';
import { readBody } from '../core/receive/body.js';

/** Ports tried after a taken one. */
const PORT_TRIES = 20;
export const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;
const MAX_REQUEST_BODY = 2 * 1024 * 1024;
/** A page that stops reading its stream is dropped (it reconnects and reloads) rather than buffered without end. */
const MAX_STREAM_BACKLOG = 8 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

export interface InspectorOptions {
  /** Where events are read from and replays recorded to: the file log or the Redis history, whichever was opened. */
  source: History;
  sender: Sender;
  /** 0 picks a free port. */
  port: number;
  /** Try the next ports when `port` is taken. */
  nextFreePort?: boolean;
  /** For re-signed replays and the expected signature; never sent to the page. */
  secret?: string;
  /** Where a replay goes without `to`: the running receiver's forward target. */
  forwardTo?: string;
  toleranceSeconds?: number;
  replayTimeoutMs?: number;
}

/** A request the API refuses, with the HTTP status that says why (never reaches a terminal). */
class HttpError extends EtsyhookError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message, { code: status < 500 ? 'bad_request' : 'failed' });
  }
}

interface Page {
  /** The page with its script and style inlined (one request, no waiting on a busy server for the script). */
  html: string;
  /** Allows exactly that script and that style, nothing else inline. */
  csp: string;
}

function loadPage(): Page {
  const dir = new URL('./assets/', import.meta.url);
  const js = readFileSync(new URL('inspector.js', dir), 'utf8');
  const css = readFileSync(new URL('inspector.css', dir), 'utf8');
  const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  const html = readFileSync(new URL('index.html', dir), 'utf8')
    .replace('{{STYLE}}', () => css)
    .replace('{{SCRIPT}}', () => js);
  return {
    html,
    csp: `default-src 'none'; script-src ${hash(js)}; style-src ${hash(css)}; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
};

export class InspectorServer {
  private readonly token = randomBytes(24).toString('base64url');
  private readonly streams = new Set<ServerResponse>();
  private readonly assets = loadPage();
  private readonly allowedHosts: Set<string>;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: InspectorOptions,
  ) {
    this.allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  static async start(options: InspectorOptions): Promise<InspectorServer> {
    let holder: InspectorServer | undefined;
    const server = createServer((req, res) => {
      if (holder === undefined) {
        res.writeHead(503).end();
        return;
      }
      holder.handle(req, res).catch((err: unknown) => holder!.fail(res, err));
    });
    server.keepAliveTimeout = 5_000;
    const tries = options.nextFreePort && options.port !== 0 ? PORT_TRIES : 1;
    let port = options.port;
    for (let i = 0; ; i++) {
      try {
        await listen(server, port);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i + 1 >= tries || port >= 65535) throw err;
        port++;
      }
    }
    holder = new InspectorServer(server, (server.address() as AddressInfo).port, options);
    return holder;
  }

  async close(): Promise<void> {
    for (const res of this.streams) res.end();
    this.streams.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.guard(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') {
      if (path === '/' || path === '/index.html') return this.page(res);
      if (path === '/favicon.ico') return this.send(res, 204, Buffer.alloc(0), 'image/x-icon');
      if (path === '/api/events') return this.list(url, res);
      if (path === '/api/types') return this.json(res, 200, catalogEntries());
      if (path === '/api/stream') return this.stream(url, req, res);
      const m = /^\/api\/events\/([^/]+)$/.exec(path);
      if (m) return this.detail(decodeRef(m[1]!), res);
    }
    if (method === 'POST') {
      const m = /^\/api\/events\/([^/]+)\/replay$/.exec(path);
      if (m) return this.replay(decodeRef(m[1]!), req, res);
    }
    if (/^\/api\/events\/[^/]+\/replay$/.test(path)) throw new HttpError(405, `${method} is not allowed here: use POST`);
    if (['/', '/api/events', '/api/types', '/api/stream'].includes(path) || path.startsWith('/api/events/')) {
      throw new HttpError(405, `${method} is not allowed here: use GET`);
    }
    throw new HttpError(404, `no such page or API: ${path}`);
  }

  /** DNS rebinding and cross-origin requests are refused before anything else is looked at. */
  private guard(req: IncomingMessage): void {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!this.allowedHosts.has(host)) {
      throw new HttpError(403, `refused: the Host header must be 127.0.0.1:${this.port} or localhost:${this.port}, got '${req.headers.host ?? ''}'`);
    }
    const origin = req.headers.origin?.toLowerCase();
    if (origin !== undefined && !(origin.startsWith('http://') && this.allowedHosts.has(origin.slice('http://'.length)))) {
      throw new HttpError(403, `refused: cross-origin request from '${req.headers.origin}'`);
    }
    const site = req.headers['sec-fetch-site'];
    const navigation = req.headers['sec-fetch-mode'] === 'navigate' && req.method === 'GET' && (req.url === '/' || req.url === '/index.html');
    // Opening the page may come from anywhere (a link in a terminal or another page); nothing else may.
    if (site !== undefined && site !== 'same-origin' && site !== 'none' && !navigation) {
      throw new HttpError(403, `refused: a ${site} request`);
    }
  }

  private page(res: ServerResponse): void {
    const html = this.assets.html
      .replace('{{TOKEN}}', () => this.token)
      .replace('{{WHERE}}', () => escapeHtml(this.options.source.where));
    this.send(res, 200, Buffer.from(html), 'text/html; charset=utf-8', { 'content-security-policy': this.assets.csp });
  }

  private async list(url: URL, res: ServerResponse): Promise<void> {
    const query = parseQuery(url.searchParams);
    const limitRaw = url.searchParams.get('limit');
    const limit = limitRaw === null ? DEFAULT_PAGE : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_PAGE}, got '${limitRaw}'`);
    const cursor = url.searchParams.get('cursor') ?? undefined;
    let page;
    try {
      page = await this.options.source.list(query, limit, cursor);
    } catch (err) {
      if (err instanceof BadCursorError) throw new HttpError(400, err.message);
      throw err;
    }
    this.json(res, 200, { events: page.events.map(eventJson), next: page.next ?? null });
  }

  private async lookup(ref: string): Promise<StoredEvent> {
    try {
      return await this.options.source.get(ref);
    } catch (err) {
      if (err instanceof LookupError) throw new HttpError(err.kind === 'ambiguous' ? 409 : 404, err.message);
      throw err;
    }
  }

  private async detail(ref: string, res: ServerResponse): Promise<void> {
    const ev = await this.lookup(ref);
    const r = ev.record;
    this.json(res, 200, {
      ...eventDetailJson(ev),
      remote: r.remote ?? null,
      signature: diagnoseSignature(r, this.options.secret, this.options.toleranceSeconds) ?? null,
      replayTarget: this.defaultTarget(ev),
      canResign: this.options.secret !== undefined,
    });
  }

  private defaultTarget(ev: StoredEvent): string {
    return this.options.forwardTo ?? ev.record.forwardTo ?? this.options.source.replayTarget?.(ev) ?? DEFAULT_LOCAL_TARGET;
  }

  private async replay(ref: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const given = req.headers['x-etsyhook-token'];
    const a = Buffer.from(typeof given === 'string' ? given : '');
    const b = Buffer.from(this.token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new HttpError(403, 'refused: replay needs the token of the inspector page (open the page and use its buttons)');
    }
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      throw new HttpError(415, 'send the replay options as application/json');
    }
    const input = parseReplayInput((await readBody(req, MAX_REQUEST_BODY, () => new HttpError(413, `the replay options are over ${MAX_REQUEST_BODY} bytes`))).toString('utf8'));
    const ev = await this.lookup(ref);
    const edited = input.body !== undefined || input.headers !== undefined;
    const resignWanted = input.resign || edited;
    let resign: Resign | undefined;
    if (resignWanted) {
      if (this.options.secret === undefined) {
        throw new HttpError(400, 'no signing secret to sign with: start with --secret, set ETSY_WEBHOOK_SECRET, or store one with `etsyhook dev`');
      }
      resign = { secret: this.options.secret, newId: input.newId };
    }
    let event = ev;
    if (edited) {
      const record: ReceivedRecord = { ...ev.record, headers: input.headers ?? ev.record.headers };
      if (input.body !== undefined) {
        delete record.body64;
        record.body = input.body;
      }
      event = { ...ev, record };
    }
    const target = input.to ?? this.defaultTarget(ev);
    const request = buildReplayRequest(event, target, resign, Math.floor(Date.now() / 1000));
    let attempt: DeliveryRecord | undefined;
    const summary = await replayEvents(
      { length: 1, at: () => request },
      {
        sender: this.options.sender,
        // Recorded as `etsyhook replay` records its attempts: lazily synced, marked replay.
        sink: { attempt: (rec) => this.options.source.recordAttempt(rec) },
        concurrency: 1,
        timeoutMs: this.options.replayTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
        onResult: (result) => {
          attempt = result.record;
        },
      },
    );
    this.json(res, 200, {
      id: ev.record.id,
      target,
      resigned: request.resigned,
      edited,
      webhookId: request.webhookId ?? null,
      delivered: summary.delivered === 1,
      attempt: attempt === undefined ? null : attemptJson(attempt, ev.record),
      recorded: summary.storeError === undefined,
      ...(summary.storeError === undefined ? {} : { recordError: summary.storeError.message }),
      // Sent elsewhere than the event's own deliveries: recorded and shown, and its status is unchanged.
      elsewhere: summary.elsewhere > 0,
    });
  }

  private stream(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const matches = liveMatcher(parseQuery(url.searchParams));
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    this.streams.add(res);
    const write = (text: string): void => {
      if (res.writableLength > MAX_STREAM_BACKLOG) {
        res.end();
        return;
      }
      res.write(text);
    };
    write('retry: 2000\n\n');
    const following = this.options.source.follow((records: StoreRecord[]) => {
      let text = '';
      for (const rec of records) {
        if (rec.kind === 'received') {
          const ev: StoredEvent = { record: rec, deliveries: [], attempts: 0, status: rec.status };
          if (matches(ev)) text += `event: received\ndata: ${JSON.stringify(eventJson(ev))}\n\n`;
        } else {
          text += `event: delivery\ndata: ${JSON.stringify(attemptJson(rec))}\n\n`;
        }
      }
      if (text !== '') write(text);
    });
    // Said once the reader is in place: from here on, nothing written to the log is missed.
    write('event: ready\ndata: {}\n\n');
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), HEARTBEAT_MS);
    const done = (): void => {
      clearInterval(heartbeat);
      following.stop();
      this.streams.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
  }

  private send(res: ServerResponse, status: number, body: Buffer, type: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'content-type': type, 'content-length': String(body.length) });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    this.send(res, status, Buffer.from(JSON.stringify(value)), 'application/json; charset=utf-8');
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) return this.json(res, err.status, { error: err.message });
    const usage = err instanceof Error && err.name === 'UsageError';
    this.json(res, usage ? 400 : 500, { error: err instanceof Error ? err.message : String(err) });
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

/** `events list`'s filters from a query string: type and status repeated or comma-separated, since, q. */
export function parseQuery(params: URLSearchParams): HistoryQuery {
  const types = withCurrentNames(splitList(params.getAll('type'))).patterns;
  const statuses = splitList(params.getAll('status')).map((s) => s.toLowerCase());
  for (const s of statuses) {
    if (!(EVENT_STATUSES as readonly string[]).includes(s)) throw new HttpError(400, `status must be one of ${EVENT_STATUSES.join(', ')}; got '${s}'`);
  }
  const sinceRaw = params.get('since');
  const since = sinceRaw === null || sinceRaw.trim() === '' ? undefined : parseSince(sinceRaw, 'since');
  const search = params.get('q') ?? undefined;
  return {
    types,
    statuses: statuses as EventStatus[],
    ...(since === undefined ? {} : { since }),
    ...(search === undefined || search.trim() === '' ? {} : { search }),
  };
}

interface ReplayInput {
  to: string | undefined;
  resign: boolean;
  newId: boolean;
  body: string | undefined;
  headers: Record<string, string> | undefined;
}

/** The replay options a page may send; anything else is a 400 naming the field. */
export function parseReplayInput(text: string): ReplayInput {
  let v: unknown = {};
  if (text.trim() !== '') {
    try {
      v = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'the replay options are not JSON');
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'the replay options must be a JSON object');
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['to', 'resign', 'newId', 'body', 'headers'].includes(key)) throw new HttpError(400, `unknown replay option '${key}'`);
  }
  let to: string | undefined;
  if (o.to !== undefined && o.to !== null && o.to !== '') {
    if (typeof o.to !== 'string') throw new HttpError(400, 'to must be a URL');
    let url: URL;
    try {
      url = new URL(o.to.trim());
    } catch {
      throw new HttpError(400, `to must be an http(s) URL, got '${o.to}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpError(400, `to must be an http(s) URL, got '${o.to}'`);
    to = url.href;
  }
  for (const key of ['resign', 'newId'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new HttpError(400, `${key} must be true or false`);
  }
  if (o.body !== undefined && typeof o.body !== 'string') throw new HttpError(400, 'body must be a string (the exact text to send)');
  let headers: Record<string, string> | undefined;
  if (o.headers !== undefined) {
    if (typeof o.headers !== 'object' || o.headers === null || Array.isArray(o.headers)) throw new HttpError(400, 'headers must be an object of name: value');
    headers = {};
    for (const [name, value] of Object.entries(o.headers as Record<string, unknown>)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new HttpError(400, `'${name}' is not a valid header name`);
      if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new HttpError(400, `the value of header ${name} must be one line of text`);
      headers[name.toLowerCase()] = value;
    }
  }
  return { to, resign: o.resign === true, newId: o.newId === true, body: o.body as string | undefined, headers };
}

function decodeRef(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `'${raw}' is not a URL-encoded event id`);
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
