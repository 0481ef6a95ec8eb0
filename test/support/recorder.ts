// A loopback HTTP server that records every request (headers and exact body bytes) and answers as told.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Scope } from './scope.js';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Recorder {
  url: string;
  port: number;
  requests: Recorded[];
  /** Most requests being handled at the same moment. */
  maxInFlight: number;
  close: () => Promise<void>;
}

export interface RecorderOptions {
  status?: number | ((req: Recorded) => number);
  body?: string | ((req: Recorded) => string);
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (for timeouts): every request, or those the function picks. */
  hang?: boolean | ((req: Recorded) => boolean);
  path?: string;
  /** Listen on this port (an app coming back where it was); default any free one. */
  port?: number;
}

export async function startRecorder(options: RecorderOptions = {}): Promise<Recorder> {
  const requests: Recorded[] = [];
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const server: Server = createServer((req, res) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      if (typeof options.hang === 'function' ? options.hang(rec) : options.hang) return;
      const answer = (): void => {
        inFlight--;
        const status = typeof options.status === 'function' ? options.status(rec) : (options.status ?? 200);
        res.writeHead(status, { 'content-type': 'application/json', ...options.headers });
        const body = typeof options.body === 'function' ? options.body(rec) : options.body;
        res.end(body ?? JSON.stringify({ status: 'received', n: requests.length }));
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}${options.path ?? '/webhook'}`,
    port,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** startRecorder for one test: closed when its scope ends. */
export async function recorder(scope: Scope, options: RecorderOptions = {}): Promise<Recorder> {
  const r = await startRecorder(options);
  scope.push(() => r.close());
  return r;
}

/** Node's header map with string values only (what the verifiers take). */
export function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
