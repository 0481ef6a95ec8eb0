// The one fake webhook target of the tests: a loopback HTTP server that records every request (headers and exact
// body bytes) and answers as told; a mode switch makes it refuse, hang or fail, and it counts per webhook-id what it
// answered 2xx, in order.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Scope } from './scope.js';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** 'ok' answers as the options say; 'refuse' is not listening (back on the same port when the mode changes);
 *  'hang' holds every answer until the mode changes (then answers it as the new mode says); 'error' answers 500. */
export type TargetMode = 'ok' | 'refuse' | 'hang' | 'error';

export interface RecorderOptions {
  status?: number | ((req: Recorded) => number);
  body?: string | ((req: Recorded) => string);
  /** Response headers over `content-type: application/json`: the same for every answer, or per request. */
  headers?: Record<string, string> | ((req: Recorded) => Record<string, string>);
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (for timeouts): every request, or those the function picks. */
  hang?: boolean | ((req: Recorded) => boolean);
  /** The path of `url`; default /webhook. */
  path?: string;
  /** Listen on this port (an app coming back where it was); default any free one. */
  port?: number;
  /** The mode it starts in; default 'ok'. */
  mode?: TargetMode;
}

export class Recorder {
  /** Every request that arrived, in order of arrival, whatever it was answered. */
  readonly requests: Recorded[] = [];
  /** Webhook-ids answered 2xx, in the order they were answered. */
  readonly order: string[] = [];
  /** How many times each webhook-id was answered 2xx. */
  readonly delivered = new Map<string, number>();
  /** Most requests being handled at the same moment. */
  maxInFlight = 0;
  private currentMode: TargetMode = 'ok';
  private inFlight = 0;
  private server: Server | undefined;
  private held: (() => void)[] = [];
  private boundPort: number;

  constructor(private readonly options: RecorderOptions = {}) {
    this.boundPort = options.port ?? 0;
  }

  get port(): number {
    return this.boundPort;
  }

  /** http://127.0.0.1:PORT, no path. */
  get origin(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get url(): string {
    return `${this.origin}${this.options.path ?? '/webhook'}`;
  }

  get mode(): TargetMode {
    return this.currentMode;
  }

  /** Webhook-ids answered 2xx more than once. */
  duplicates(): string[] {
    return [...this.delivered].filter(([, n]) => n > 1).map(([id]) => id);
  }

  /** Listen (on a port of its own even when it starts refusing, so `url` names where it comes back). */
  async start(): Promise<this> {
    await this.listen();
    await this.setMode(this.options.mode ?? 'ok');
    return this;
  }

  async setMode(mode: TargetMode): Promise<void> {
    this.currentMode = mode;
    if (mode === 'refuse') return this.close();
    if (mode !== 'hang') this.release();
    if (!this.server) await this.listen();
  }

  /** Stop listening; held answers are dropped with their connections. */
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.held = [];
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => this.take(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => resolve());
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private take(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      this.requests.push(rec);
      const { hang, delayMs } = this.options;
      if (typeof hang === 'function' ? hang(rec) : hang) return;
      const answer = (): void => this.answer(rec, res);
      if (this.currentMode === 'hang') this.held.push(answer);
      else if (delayMs) setTimeout(answer, delayMs);
      else answer();
    });
  }

  private answer(rec: Recorded, res: ServerResponse): void {
    this.inFlight--;
    if (this.currentMode === 'error') {
      res.writeHead(500).end('{"error":"target says no"}');
      return;
    }
    const o = this.options;
    const status = typeof o.status === 'function' ? o.status(rec) : (o.status ?? 200);
    if (status >= 200 && status < 300) {
      const id = String(rec.headers['webhook-id'] ?? rec.headers['x-etsy-timestamp'] ?? '?');
      this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
      this.order.push(id);
    }
    const headers = typeof o.headers === 'function' ? o.headers(rec) : o.headers;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    const body = typeof o.body === 'function' ? o.body(rec) : o.body;
    res.end(body ?? JSON.stringify({ status: 'received', n: this.requests.length }));
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const a of held) a();
  }
}

export function startRecorder(options: RecorderOptions = {}): Promise<Recorder> {
  return new Recorder(options).start();
}

/** startRecorder for one test: closed when its scope ends. */
export async function recorder(scope: Scope, options: RecorderOptions = {}): Promise<Recorder> {
  const r = new Recorder(options);
  scope.push(() => r.close());
  return r.start();
}

/** Node's header map with string values only (what the verifiers take). */
export function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
