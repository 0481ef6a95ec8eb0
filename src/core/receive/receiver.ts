// receive/ owns what comes in: the HTTP receiver (this file), the two signature schemes (signature.ts) and the
// public tunnel to it (tunnel.ts, with ngrok in a killable child: ngrok-agent.ts).
//
// The HTTP receiver: read the raw bytes → verify → record durably → acknowledge → hand accepted events on.
// Uses node:http directly; the hot path allocates little beyond the record itself. A 2xx is sent only after the
// store says the record is on disk; when the store cannot write, the answer is 503.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { OperationError, StoreUnavailableError } from '../../errors.js';
import { encodeBody, isoNow, newEventId, type ReceivedRecord, type RequestOutcome, type Verdict } from '../events/record.js';
import { createVerifier, type Scheme, type VerifyOptions } from './signature.js';
import type { EventSink } from './sink.js';

import { DEFAULT_MAX_BODY } from '../defaults.js';


export interface ReceiverOptions {
  host: string;
  port: number;
  /** The path that receives webhooks, e.g. /webhook. */
  path: string;
  secret: string;
  /** Force a scheme instead of detecting it from the headers. */
  scheme?: Scheme;
  toleranceSeconds?: number;
  maxBody?: number;
  /** Which event types are dispatched; others are acknowledged and stored as ignored. */
  accepts?: (type: string) => boolean;
  /** Where every request is kept; it also decides whether an accepted webhook-id is a duplicate. */
  sink: EventSink;
  /** Recorded on accepted events: where they are being forwarded (replay's default target). */
  forwardTo?: string;
  /** With routes: the labels of the routes an accepted event of this type goes to (kept on its record). */
  routesFor?: (type: string) => string[];
  /** Why a type `accepts` refuses is stored as ignored; default 'not in --events'. */
  ignoredReason?: string;
  /** An accepted event is durable and acknowledged: dispatch it. */
  onAccepted?: (record: ReceivedRecord, body: Buffer) => void;
  /** One call per answered request (health checks excepted), after the answer. */
  onRequest?: (report: RequestReport) => void;
  /** Extra fields for GET /health (liveness; GET /ready answers 503 while the sink cannot write). */
  health?: () => Record<string, unknown>;
  /**
   * Other GET paths this server answers (e.g. /metrics of `serve`): the handler answers the request itself.
   * Not recorded as events.
   */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  /** Slow-loris protection: whole headers within this time (default 10 s) … */
  headersTimeoutMs?: number;
  /** … and the whole request within this (default 30 s). */
  requestTimeoutMs?: number;
}

export interface RequestReport {
  /** The record, when the request was recorded (or meant to be: see `stored`). */
  record: ReceivedRecord | undefined;
  /** The HTTP status answered. */
  status: number;
  /** False when the store could not write it. */
  stored: boolean;
  /** The outcome word: the verdict, or `unstored` when the answer became a 503 because the store could not keep it. */
  outcome: RequestOutcome;
  /** Milliseconds from the request's arrival to the answer. */
  ms: number;
  method: string;
  path: string;
  /** Why the store could not write, when it could not. */
  storeError?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

function flatHeaders(h: IncomingMessage['headers']): Record<string, string> {
  // Node joins repeated headers with ', ' already; only set-cookie stays an array.
  const sc = h['set-cookie'];
  if (sc === undefined) return h as Record<string, string>;
  return { ...(h as Record<string, string>), 'set-cookie': sc.join(', ') };
}

function normalisePath(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

export class Receiver {
  private readonly server: Server;
  private readonly path: string;
  private readonly verify: ReturnType<typeof createVerifier>;
  private readonly verifyOptions: VerifyOptions;
  private readonly maxBody: number;
  private readonly started = Date.now();
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private closing = false;
  readonly counts = { received: 0, accepted: 0, rejected: 0, duplicate: 0, ignored: 0, unstored: 0 };
  private address: AddressInfo | undefined;

  private constructor(private readonly options: ReceiverOptions) {
    this.path = normalisePath(options.path);
    this.verify = createVerifier(options.secret);
    this.verifyOptions = {
      ...(options.scheme !== undefined ? { scheme: options.scheme } : {}),
      ...(options.toleranceSeconds !== undefined ? { toleranceSeconds: options.toleranceSeconds } : {}),
    };
    this.maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
    const headersTimeout = options.headersTimeoutMs ?? 10_000;
    this.server = createServer(
      {
        headersTimeout,
        requestTimeout: Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout),
        keepAliveTimeout: 5_000,
        // Check for slow clients every second (Node's default is 30 s), so slow-loris connections go quickly.
        connectionsCheckingInterval: 1_000,
      },
      (req, res) => this.handle(req, res),
    );
    // Expect: 100-continue: refuse an announced oversize body before the client sends it.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      const declared = Number(req.headers['content-length']);
      if (!(declared > this.maxBody)) res.writeContinue();
      this.handle(req, res);
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const text = status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
  }

  /** Listen; a port already in use is one clear error. */
  static async start(options: ReceiverOptions): Promise<Receiver> {
    const receiver = new Receiver(options);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        if (err.code === 'EADDRINUSE') {
          reject(new OperationError(`port ${options.port} on ${options.host} is already in use`, { hint: `choose another with --port, e.g. --port ${options.port + 1}` }));
        } else if (err.code === 'EACCES') {
          reject(new OperationError(`not allowed to listen on port ${options.port}`, { hint: 'choose a port above 1023 with --port' }));
        } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
          reject(new OperationError(`cannot listen on ${options.host}: no such local address`, { hint: 'use --host 127.0.0.1 or 0.0.0.0' }));
        } else {
          reject(new OperationError(`cannot listen on ${options.host}:${options.port}: ${err.message}`, { cause: err }));
        }
      };
      receiver.server.once('error', onError);
      receiver.server.listen(options.port, options.host, () => {
        receiver.server.off('error', onError);
        resolve();
      });
    });
    receiver.address = receiver.server.address() as AddressInfo;
    return receiver;
  }

  get port(): number {
    return this.address?.port ?? this.options.port;
  }

  /** The local URL of the webhook path. */
  get url(): string {
    const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? '127.0.0.1' : this.options.host;
    const h = host.includes(':') ? `[${host}]` : host;
    return `http://${h}:${this.port}${this.path}`;
  }

  get webhookPath(): string {
    return this.path;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = normalisePath(q === -1 ? url : url.slice(0, q));
    if (pathname === this.path) {
      if (req.method === 'POST') {
        this.receive(req, res, t0, url);
        return;
      }
      this.refuse(req, res, t0, 405, 'method not allowed: webhooks are POSTed', { allow: 'POST' });
      return;
    }
    // A /ready of the caller's own (serve probes a write to Redis) comes first.
    if (pathname === '/health' || (pathname === '/ready' && this.options.routes?.['/ready'] === undefined)) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        // /health is liveness: 200 while this process serves, whatever the store (restarting a receiver would not
        // bring Redis back). /ready is readiness: 503, with the reason, while the store cannot write, so a load
        // balancer sends traffic elsewhere.
        const sink = this.options.sink.health();
        const reason = sink.ok ? {} : { reason: sink.reason ?? 'the store cannot write' };
        const live = pathname === '/health';
        const body = JSON.stringify(
          live
            ? { status: 'healthy', ready: sink.ok, ...reason, path: this.path, store: sink.store, uptime_s: Math.round((Date.now() - this.started) / 1000), ...this.counts, ...this.options.health?.() }
            : { status: sink.ok ? 'ready' : 'not ready', ...reason, store: sink.store },
        );
        res.writeHead(live || sink.ok ? 200 : 503, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      res.writeHead(405, { ...JSON_HEADERS, allow: 'GET' });
      res.end('{"error":"method not allowed"}');
      return;
    }
    const extra = this.options.routes?.[pathname];
    if (extra !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      extra(req, res);
      return;
    }
    this.refuse(req, res, t0, 404, `not found: webhooks are received on ${this.path}`);
  }

  /** 404/405: recorded (headers only; the body is not read), so a wrong URL in the portal shows up in `events`. */
  private refuse(req: IncomingMessage, res: ServerResponse, t0: number, status: number, reason: string, headers: Record<string, string> = {}): void {
    const rec = this.record(req, undefined, 'rejected', reason);
    // Do not read a body we will not use; close the connection rather than drain it.
    if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') headers.connection = 'close';
    else if (req.headers['transfer-encoding'] !== undefined) headers.connection = 'close';
    void this.finish(res, t0, rec, status, JSON.stringify({ error: reason, id: rec.id }), headers);
  }

  private receive(req: IncomingMessage, res: ServerResponse, t0: number, url: string): void {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.maxBody) {
      this.tooLarge(req, res, t0, Number(declared));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > this.maxBody) {
        over = true;
        chunks.length = 0;
        this.tooLarge(req, res, t0, undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      ended = true;
      if (over) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      this.decide(req, res, t0, url, body);
    });
    req.on('close', () => {
      if (ended || over) return;
      // The client went away mid-body (or the request timed out): still recorded, with what arrived.
      const expected = declared !== undefined ? ` of ${declared}` : '';
      const reason = `incomplete request: the connection closed after ${size}${expected} body bytes`;
      const rec = this.record(req, chunks.length === 0 ? undefined : Buffer.concat(chunks, size), 'rejected', reason, url);
      void this.finish(res, t0, rec, 499, '');
    });
  }

  /** 413 without reading the rest: answer now and close the connection instead of swallowing a huge body. */
  private tooLarge(req: IncomingMessage, res: ServerResponse, t0: number, declared: number | undefined): void {
    // The size and the limit, each said as such ("5000000 bytes over the 1048576-byte limit" read as 5 MB *over*).
    const size = declared !== undefined ? `${declared} bytes` : `more than ${this.maxBody} bytes`;
    const reason = `body too large: ${size}; the limit is ${this.maxBody} bytes (--max-body)`;
    req.removeAllListeners('data');
    // Keep discarding what arrives (never buffered): unread data at close would reset the connection.
    req.resume();
    const rec = this.record(req, undefined, 'rejected', reason);
    void this.finish(res, t0, rec, 413, JSON.stringify({ error: reason, id: rec.id })).then(() => {
      // The answer is out. Cut the connection only if the client is still sending after a while: closing a socket
      // with unread data sends a reset, which makes the client's kernel drop the 413 it has not read yet (so no
      // `connection: close` here: Node would close at once).
      setTimeout(() => {
        if (!req.complete) req.socket.destroy();
      }, 2_000).unref();
    });
  }

  private decide(req: IncomingMessage, res: ServerResponse, t0: number, url: string, body: Buffer): void {
    const result = this.verify(body, req.headers, this.verifyOptions);
    if (!result.valid) {
      const rec = this.record(req, body, 'rejected', result.message, url);
      if (result.scheme !== undefined) rec.scheme = result.scheme;
      if (result.id !== undefined) rec.webhookId = result.id;
      const type = peekType(body);
      if (type !== undefined) rec.type = type;
      void this.finish(res, t0, rec, 401, JSON.stringify({ error: result.message, reason: result.reason, id: rec.id }));
      return;
    }
    let parsed: unknown;
    try {
      // A UTF-8 byte-order mark is tolerated for reading event_type; the stored and forwarded bytes keep it.
      const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
      parsed = JSON.parse(body.toString('utf8', bom ? 3 : 0));
    } catch {
      const rec = this.record(req, body, 'rejected', 'body is not JSON', url);
      this.signed(rec, result.scheme, result.id);
      void this.finish(res, t0, rec, 400, JSON.stringify({ error: 'body is not JSON', id: rec.id }));
      return;
    }
    const type = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as { event_type?: unknown }).event_type : undefined;
    if (typeof type !== 'string' || type === '') {
      const reason = 'no event_type: the body must be a JSON object with a string event_type';
      const rec = this.record(req, body, 'rejected', reason, url);
      this.signed(rec, result.scheme, result.id);
      void this.finish(res, t0, rec, 400, JSON.stringify({ error: reason, id: rec.id }));
      return;
    }
    const ignored = this.options.accepts !== undefined && !this.options.accepts(type);
    // The sink decides whether an accepted webhook-id is a duplicate (it may be shared with other receivers).
    const rec = this.record(req, body, ignored ? 'ignored' : 'accepted', ignored ? (this.options.ignoredReason ?? 'not in --events') : undefined, url);
    rec.type = type;
    this.signed(rec, result.scheme, result.id);
    if (!ignored && this.options.forwardTo !== undefined) rec.forwardTo = this.options.forwardTo;
    const routes = ignored ? undefined : this.options.routesFor?.(type);
    if (routes !== undefined && routes.length > 0) rec.routes = routes;
    void this.finish(res, t0, rec, 200, undefined).then((stored) => {
      if (stored && rec.status === 'accepted') this.options.onAccepted?.(rec, body);
    });
  }

  private signed(rec: ReceivedRecord, scheme: Scheme | undefined, webhookId: string | undefined): void {
    if (scheme !== undefined) rec.scheme = scheme;
    if (webhookId !== undefined) rec.webhookId = webhookId;
  }

  private record(req: IncomingMessage, body: Buffer | undefined, verdict: Verdict, reason: string | undefined, url = req.url ?? '/'): ReceivedRecord {
    const rec: ReceivedRecord = {
      kind: 'received',
      id: newEventId(),
      at: isoNow(),
      method: req.method ?? 'GET',
      path: url,
      headers: flatHeaders(req.headers),
      status: verdict,
    };
    if (body !== undefined && body.length > 0) Object.assign(rec, encodeBody(body));
    if (reason !== undefined) rec.reason = reason;
    const remote = req.socket.remoteAddress;
    if (remote !== undefined) rec.remote = remote;
    return rec;
  }

  /**
   * Store the record, then answer. A 2xx is turned into a 503 when the store cannot write; other answers stand
   * (the verdict does not depend on the store). Resolves whether the record is durable. Without `body`, the answer
   * says the verdict the sink kept: `{"status":"accepted"|"duplicate"|"ignored","id":…}`.
   */
  private finish(
    res: ServerResponse,
    t0: number,
    rec: ReceivedRecord,
    status: number,
    body: string | undefined,
    headers?: Record<string, string>,
  ): Promise<boolean> {
    this.inFlight++;
    // The answer if the store takes the record (a record the store refuses is not kept, so its 503 never shows).
    rec.httpStatus = status;
    return this.options.sink.receive(rec).then(
      () => this.answer(res, t0, rec, status, body ?? verdictBody(rec), headers, undefined),
      (err: unknown) => {
        const storeError = err instanceof StoreUnavailableError ? err.message : `cannot write the event store: ${(err as Error).message}`;
        return this.answer(res, t0, rec, status, body ?? '', headers, storeError);
      },
    );
  }

  private answer(
    res: ServerResponse,
    t0: number,
    rec: ReceivedRecord,
    status: number,
    body: string,
    headers: Record<string, string> | undefined,
    storeError: string | undefined,
  ): boolean {
    const stored = storeError === undefined;
    this.counts.received++;
    if (!stored) this.counts.unstored++;
    else this.counts[rec.status]++;
    const unstored = !stored && status < 300;
    if (unstored) {
      status = 503;
      body = JSON.stringify({ error: `${storeError}; the event was not stored, send it again later`, id: null });
      headers = { ...headers, 'retry-after': '5' };
    }
    if (this.closing) headers = { ...headers, connection: 'close' };
    if (!res.destroyed) {
      const length = Buffer.byteLength(body);
      res.writeHead(status, headers === undefined ? { 'content-type': 'application/json', 'content-length': length } : { ...JSON_HEADERS, 'content-length': length, ...headers });
      res.end(body);
    }
    if (this.options.onRequest !== undefined) {
      const outcome = unstored ? 'unstored' : rec.status;
      const report: RequestReport = { record: rec, status, stored, outcome, ms: performance.now() - t0, method: rec.method, path: rec.path };
      if (storeError !== undefined) report.storeError = storeError;
      this.options.onRequest(report);
    }
    if (--this.inFlight === 0) this.drained?.();
    return stored;
  }

  /** Stop accepting connections, let requests in flight finish (up to graceMs), then close every connection. */
  async close(graceMs = 5_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => (this.drained = r)), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    this.server.closeAllConnections();
    await closed;
  }
}

/** The answer to a request that passed verification: the verdict kept, the id, and the webhook-id of a duplicate. */
function verdictBody(rec: ReceivedRecord): string {
  if (rec.status === 'duplicate') {
    return JSON.stringify({ status: 'duplicate', id: rec.id, webhookId: rec.webhookId, reason: 'already accepted: not dispatched again' });
  }
  return `{"status":"${rec.status}","id":"${rec.id}"}`;
}

/** The event_type of a body, cheaply and without trusting it (used only to label rejected requests). */
function peekType(body: Buffer): string | undefined {
  if (body.length === 0 || body.length > 65_536) return undefined;
  try {
    const v = JSON.parse(body.toString('utf8')) as { event_type?: unknown };
    return typeof v === 'object' && v !== null && typeof v.event_type === 'string' ? v.event_type : undefined;
  } catch {
    return undefined;
  }
}
