// What the reliability tests share: processes that are always killed, a forward target that can refuse, hang or
// answer, signed requests, and readers of the store. Everything runs the built CLI against loopback and real files.
import { type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { cleanEnv, freePort, ROOT, runCli, startCli, tempHome } from '../helpers.js';
import { decodeStandardSecret, generateSecret } from '../../src/core/receive/signature.js';
import { readForward } from '../../src/core/log/store.js';
import type { StoreRecord, ReceivedRecord } from '../../src/core/log/records.js';

export { cleanEnv, freePort, runCli, startCli, tempHome, ROOT, generateSecret };

// ---------------------------------------------------------------------------------------------------------------
// Everything a test starts is registered here and killed after the test, passed or failed.

const cleanups: (() => unknown)[] = [];
const fileCleanups: (() => unknown)[] = [];
/** While true (inside beforeAll), what is started lives until the end of the file instead of the test. */
let fileScope = false;

export function onCleanup(fn: () => unknown): void {
  (fileScope ? fileCleanups : cleanups).push(fn);
}

/** Run `fn` (from a beforeAll) so that what it starts is killed after the whole file, not after the first test. */
export async function forWholeFile<T>(fn: () => Promise<T>): Promise<T> {
  fileScope = true;
  try {
    return await fn();
  } finally {
    fileScope = false;
  }
}

async function drain(list: (() => unknown)[]): Promise<void> {
  while (list.length > 0) {
    const fn = list.pop()!;
    try {
      await fn();
    } catch {
      /* best effort */
    }
  }
}

afterEach(() => drain(cleanups));
afterAll(() => drain(fileCleanups));
// A test run that is interrupted still kills what it started.
process.once('exit', () => {
  for (const fn of [...cleanups, ...fileCleanups]) {
    try {
      const r = fn();
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      /* best effort */
    }
  }
});

export function killChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A fresh ETSYHOOK_HOME removed after the test. */
export function home(): string {
  const h = tempHome();
  onCleanup(h.cleanup);
  return h.dir;
}

export interface Dev {
  child: ChildProcess;
  port: number;
  url: string;
  origin: string;
  stderr: () => string;
  stdout: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** `etsyhook dev --no-tunnel` on a free (or given) port; killed after the test. */
export async function startDev(
  homeDir: string,
  options: { secret?: string; port?: number; args?: string[]; env?: Record<string, string | undefined> } = {},
): Promise<Dev> {
  const port = options.port ?? (await freePort());
  const args = ['dev', '--no-tunnel', '--port', String(port)];
  if (options.secret !== undefined) args.push('--secret', options.secret);
  args.push(...(options.args ?? []));
  const h = await startCli(args, { env: cleanEnv(homeDir, options.env ?? {}), timeoutMs: 20_000 });
  onCleanup(() => killChild(h.child));
  const origin = `http://127.0.0.1:${port}`;
  return { child: h.child, port, origin, url: `${origin}/webhook`, stderr: h.stderr, stdout: h.stdout, stop: h.stop };
}

// ---------------------------------------------------------------------------------------------------------------
// Signed requests

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

let seq = 0;
export function uniqueId(prefix = 'msg_rel'): string {
  seq++;
  return `${prefix}${process.pid.toString(36)}${Date.now().toString(36)}${seq.toString(36).padStart(5, '0')}`;
}

export function orderBody(type = 'order.paid', extra = ''): string {
  const receipt = 1_000_000_000 + Math.floor(Math.random() * 1e9);
  return `{"event_type":"${type}","resource_url":"https://api.etsy.com/v3/application/shops/31415926/receipts/${receipt}","shop_id":31415926${extra}}`;
}

export function standardSignature(secret: string, id: string, ts: number | string, body: Buffer | string): string {
  return `v1,${createHmac('sha256', decodeStandardSecret(secret)).update(`${id}.${ts}.`).update(body).digest('base64')}`;
}

export function legacySignature(secret: string, ts: number | string, body: Buffer | string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${ts}.`).update(body).digest('hex');
}

/** Standard-scheme headers for a body. */
export function signed(secret: string, body: Buffer | string, options: { id?: string; ts?: number | string } = {}): Record<string, string> {
  const id = options.id ?? uniqueId();
  const ts = options.ts ?? nowSeconds();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': standardSignature(secret, id, ts, body),
  };
}

export interface Answer {
  status: number;
  text: string;
  json: unknown;
  ms: number;
  headers: IncomingHttpHeaders;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request; rejects on a socket error (a killed receiver). */
export function send(
  url: string,
  options: { method?: string; body?: Buffer | string; headers?: Record<string, string>; timeoutMs?: number; agent?: Agent | false } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (body !== undefined) headers['content-length'] = String(body.length);
    const req = request(url, { method: options.method ?? 'POST', headers, agent: options.agent ?? agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json, ms: performance.now() - t0, headers: res.headers });
      });
    });
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Resolves true when GET /health answers 200. */
export async function healthy(origin: string): Promise<boolean> {
  try {
    const r = await send(`${origin}/health`, { method: 'GET', agent: false, timeoutMs: 5000 });
    return r.status === 200;
  } catch {
    return false;
  }
}

/** Write raw bytes on a fresh socket; resolve with whatever came back when the server closes or after `waitMs`. */
export function raw(port: number, chunks: (Buffer | string)[], options: { waitMs?: number; gapMs?: number } = {}): Promise<{ text: string; closedByServer: boolean; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve({ text, closedByServer, ms: performance.now() - t0 });
    };
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    const timer = setTimeout(() => finish(false), options.waitMs ?? 5000);
    sock.on('close', () => clearTimeout(timer));
    sock.on('connect', async () => {
      for (const c of chunks) {
        if (done || sock.destroyed) return;
        sock.write(c);
        if (options.gapMs) await sleep(options.gapMs);
      }
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

// ---------------------------------------------------------------------------------------------------------------
// A forward target: answers 200, refuses connections (not listening), hangs, or answers 500; counts per webhook-id.

export type TargetMode = 'ok' | 'refuse' | 'hang' | 'error';

export class Target {
  readonly received = new Map<string, number>();
  mode: TargetMode = 'ok';
  private server: Server | undefined;
  private hung: (() => void)[] = [];
  private constructor(readonly port: number) {}

  static async start(mode: TargetMode = 'ok'): Promise<Target> {
    const t = new Target(await freePort());
    onCleanup(() => t.close());
    await t.setMode(mode);
    return t;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Webhook-ids delivered more than once. */
  duplicates(): string[] {
    return [...this.received].filter(([, n]) => n > 1).map(([id]) => id);
  }

  async setMode(mode: TargetMode): Promise<void> {
    this.mode = mode;
    if (mode === 'refuse') {
      await this.close();
      return;
    }
    if (mode !== 'hang') this.releaseHung();
    if (this.server) return;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = (): void => {
          if (this.mode === 'error') {
            res.writeHead(500).end('{"error":"target says no"}');
            return;
          }
          const id = String(req.headers['webhook-id'] ?? req.headers['x-etsy-timestamp'] ?? '?');
          this.received.set(id, (this.received.get(id) ?? 0) + 1);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        };
        if (this.mode === 'hang') this.hung.push(answer);
        else answer();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  private releaseHung(): void {
    const hung = this.hung;
    this.hung = [];
    for (const a of hung) a();
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    this.releaseHung();
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The store

export function storeFile(homeDir: string): string {
  return join(homeDir, 'events', 'events.ndjson');
}

/** Every readable record in the log, and how many lines could not be read. */
export function readStore(homeDir: string): { records: StoreRecord[]; received: ReceivedRecord[]; bad: number } {
  const records: StoreRecord[] = [];
  let bad = 0;
  readForward(storeFile(homeDir), 0, (r) => records.push(r), { onBadLine: () => bad++ });
  return { records, received: records.filter((r): r is ReceivedRecord => r.kind === 'received'), bad };
}

export interface ListedEvent {
  id: string;
  type: string | null;
  status: string;
  verdict?: string;
  reason: string | null;
  webhookId?: string | null;
  at: string;
  deliveries: { httpStatus?: number | null; status: string; at: string; error?: string | null }[];
}

/** `events list --json` over the whole store. */
export async function listEvents(homeDir: string, extra: string[] = []): Promise<ListedEvent[]> {
  const r = await runCli(['events', 'list', '--json', '--limit', '10000000', ...extra], { env: cleanEnv(homeDir), timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`events list exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ListedEvent[];
}

// ---------------------------------------------------------------------------------------------------------------
// Figures for bench/RESULTS.md: each test records what it counted; written when RELIABILITY_FIGURES names a file.

export function recordFigure(test: string, figures: string): void {
  const file = process.env.RELIABILITY_FIGURES;
  if (!file) return;
  const path = file.startsWith('/') ? file : join(ROOT, file);
  mkdirSync(dirname(path), { recursive: true });
  let data: { date?: string; figures: Record<string, string> } = { figures: {} };
  if (existsSync(path)) {
    try {
      data = JSON.parse(readFileSync(path, 'utf8')) as typeof data;
    } catch {
      /* start again */
    }
  }
  data.date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  data.figures[test] = figures;
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}
