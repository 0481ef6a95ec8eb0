// Loopback HTTP for the tests: exact requests, raw sockets and the receiver's /health counters (the fake webhook
// target is the recorder, in recorder.ts).
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text. */
  body: string;
  /** The body parsed as JSON (throws when it is not). */
  json: <T = Record<string, any>>() => T;
  ms: number;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request with node:http (no retries, exact bytes); rejects on a socket error (a killed receiver). A fresh
 *  connection each time unless `agent` says otherwise. */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number; agent?: Agent | false | 'keep-alive' } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const agent = options.agent === 'keep-alive' ? keepAlive : (options.agent ?? false);
    const headers = { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers };
    const req = request(url, { method: options.method ?? 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text), ms: performance.now() - t0 });
      });
    });
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

export function post(url: string, event: { body: Buffer | string; headers: Record<string, string> }): Promise<Answer> {
  return send(url, { headers: event.headers, body: event.body });
}

/** GET /health's answer (liveness: 200 while it serves; `ready: false` while the store cannot write) with its JSON
 *  (the receiver's counters), or undefined when nothing answers. */
export async function health(origin: string): Promise<{ httpStatus: number; body: Record<string, any> } | undefined> {
  try {
    const r = await send(`${origin}/health`, { method: 'GET', timeoutMs: 5000 });
    return { httpStatus: r.status, body: r.json() };
  } catch {
    return undefined;
  }
}

/** True when GET /health answers 200. */
export async function healthy(origin: string): Promise<boolean> {
  return (await health(origin))?.httpStatus === 200;
}

/** True when the receiver answers GET /health at all (up, whether or not its store can write). */
export async function answers(origin: string): Promise<boolean> {
  return (await health(origin)) !== undefined;
}

/** Write raw bytes on a fresh socket (`gapMs` between chunks); resolve with what came back once the server closes
 *  the connection (or after `waitMs`). */
export function raw(
  port: number,
  chunks: (Buffer | string)[],
  options: { waitMs?: number; gapMs?: number } = {},
): Promise<{ text: string; closedByServer: boolean; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closedByServer, ms: performance.now() - t0 });
    };
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    const timer = setTimeout(() => finish(false), options.waitMs ?? 5000);
    sock.on('connect', async () => {
      for (const c of chunks) {
        if (done || sock.destroyed) return;
        sock.write(c);
        if (options.gapMs) await sleep(options.gapMs);
      }
    });
  });
}

/** Pacing for load loops and dribbling clients; never a way to wait for an outcome (use waitFor). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns something other than undefined/false, and return that; throws after `timeoutMs`
 *  with `what` and the last error. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
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

/** A loopback port nothing listens on (bound by the kernel, then released): for a target that must refuse. Never
 *  for a server the test starts: those listen on port 0 and report the port they got. */
export function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
