// Shared set-up for the dev, forward and tunnel tests: a fresh home, a free port, the built CLI, signed requests.
import { request as httpRequest } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { readForward, logPath } from '../src/core/log/store.js';
import type { DeliveryRecord, ReceivedRecord, StoreRecord } from '../src/core/log/records.js';
import { signatureHeaders, signLegacy } from '../src/core/receive/signature.js';
import { cleanEnv, freePort, startCli, tempHome } from './helpers.js';
import { join } from 'node:path';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export type Cleanup = () => void | Promise<unknown>;

export interface Dev {
  home: string;
  env: NodeJS.ProcessEnv;
  port: number;
  url: string;
  proc: Awaited<ReturnType<typeof startCli>>;
  records: () => StoreRecord[];
  received: () => ReceivedRecord[];
  deliveries: () => DeliveryRecord[];
}

export function home(cleanups: Cleanup[], extraEnv: Record<string, string | undefined> = {}): { dir: string; env: NodeJS.ProcessEnv } {
  const h = tempHome();
  cleanups.push(h.cleanup);
  return { dir: h.dir, env: cleanEnv(h.dir, { ...extraEnv, NODE_OPTIONS: undefined }) };
}

export function readRecords(dir: string): StoreRecord[] {
  const out: StoreRecord[] = [];
  readForward(logPath(join(dir, 'events')), 0, (r) => out.push(r));
  return out;
}

/** Start `etsyhook dev --no-tunnel` on a free port (unless args say otherwise) and wait for its Ready line. */
export async function startDev(
  cleanups: Cleanup[],
  args: string[] = [],
  options: { env?: Record<string, string | undefined>; home?: { dir: string; env: NodeJS.ProcessEnv }; secret?: string | null; port?: number } = {},
): Promise<Dev> {
  const h = options.home ?? home(cleanups, options.env);
  const env = options.home ? { ...h.env, ...dropUndefined(options.env ?? {}) } : h.env;
  const port = options.port ?? (await freePort());
  const secretArgs = options.secret === null ? [] : ['--secret', options.secret ?? SECRET];
  const tunnelArgs = args.includes('--tunnel') ? [] : ['--no-tunnel'];
  const proc = await startCli(['dev', ...tunnelArgs, '--port', String(port), ...secretArgs, ...args.filter((a) => a !== '--tunnel')], {
    env,
    ready: /Ready: listening/,
  });
  cleanups.push(() => proc.stop('SIGKILL'));
  const records = (): StoreRecord[] => readRecords(h.dir);
  return {
    home: h.dir,
    env,
    port,
    url: `http://127.0.0.1:${port}/webhook`,
    proc,
    records,
    received: () => records().filter((r): r is ReceivedRecord => r.kind === 'received'),
    deliveries: () => records().filter((r): r is DeliveryRecord => r.kind === 'delivery'),
  };
}

function dropUndefined(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => Record<string, unknown>;
}

/** One HTTP request with node:http (no retries, exact bytes). */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'POST',
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) as Record<string, unknown> });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let seq = 0;

/** A correctly signed Etsy-style event: body bytes and headers. */
export function signed(
  options: { type?: string; body?: Buffer | string; id?: string; timestamp?: number; secret?: string; scheme?: 'standard' | 'legacy' } = {},
): { body: Buffer; headers: Record<string, string>; id: string } {
  const type = options.type ?? 'order.paid';
  const n = ++seq;
  const body =
    options.body === undefined
      ? Buffer.from(JSON.stringify({ event_type: type, resource_url: `https://api.etsy.com/v3/application/shops/12345678/receipts/${3000000000 + n}`, shop_id: 12345678 }))
      : Buffer.isBuffer(options.body)
        ? options.body
        : Buffer.from(options.body);
  const id = options.id ?? `msg_test${process.pid}x${n}x${Date.now()}`;
  const ts = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (options.scheme === 'legacy') {
    return {
      body,
      id,
      headers: { 'content-type': 'application/json', 'x-etsy-signature': signLegacy(options.secret ?? SECRET, ts, body), 'x-etsy-timestamp': String(ts) },
    };
  }
  const h = signatureHeaders('standard', options.secret ?? SECRET, body, { id, timestamp: ts });
  return { body, id, headers: { 'content-type': 'application/json', ...lower(h) } };
}

function lower(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

export async function post(url: string, event: { body: Buffer; headers: Record<string, string> }): Promise<Answer> {
  return send(url, { headers: event.headers, body: event.body });
}

/** Poll until `check` returns true (or throw after timeoutMs). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function configFileMode(dir: string): number {
  return statSync(join(dir, 'config.json')).mode & 0o777;
}

export function readConfig(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
}
