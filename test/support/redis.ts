// A real redis-server for tests: Debian's binary, on a free loopback port, in a temporary directory, with every
// write fsynced before it is acknowledged (as production should run it). Never a mock. Also `serve` and `worker`
// on such a server, each stopped when the test's scope ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { startCli, type Proc } from './process.mjs';
import type { Scope } from './scope.js';
import { SECRET } from './sign.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /** Stop with SIGKILL (a crash) or SIGTERM; the data directory stays until cleanup(). */
  kill: (signal?: NodeJS.Signals) => Promise<void>;
  /** Start again on the same port and directory (after a kill), waiting until it answers. */
  restart: () => Promise<void>;
  /** Kill and remove the directory. */
  cleanup: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once the server answers PING with PONG (its own reply, not a timer). */
function pinged(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = netConnect(port, '127.0.0.1');
    let buf = '';
    sock.setTimeout(1_000, () => {
      sock.destroy();
      resolve(false);
    });
    sock.on('connect', () => sock.write(password === undefined ? 'PING\r\n' : `AUTH ${password}\r\nPING\r\n`));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('PONG')) {
        sock.destroy();
        resolve(true);
      } else if (buf.includes('-LOADING') || buf.includes('-ERR')) {
        sock.destroy();
        resolve(false);
      }
    });
    sock.on('error', () => resolve(false));
  });
}

/** Start redis-server; a port taken between choosing and binding is retried on another. */
export async function startRedis(options: { password?: string; extraArgs?: string[] } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'etsyhook-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  const launch = async (): Promise<boolean> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
    if (options.password !== undefined) args.push('--requirepass', options.password);
    args.push(...(options.extraArgs ?? []));
    const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let log = '';
    proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<boolean>((r) => proc.once('exit', () => r(false)));
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      if (proc.exitCode !== null) break;
      if (await pinged(port, options.password)) return true;
      await Promise.race([new Promise((r) => setTimeout(r, 25)), exited]);
    }
    proc.kill('SIGKILL');
    if (!/Address already in use/i.test(log)) throw new Error(`redis-server did not start: ${log.trim()}`);
    return false;
  };
  for (let tries = 0; ; tries++) {
    port = await freePort();
    if (await launch()) break;
    if (tries >= 5) throw new Error('redis-server: no free port after 5 tries');
  }
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    await exited;
  };
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    dir,
    kill,
    restart: async () => {
      await kill();
      if (!(await launch())) throw new Error(`redis-server could not listen on ${port} again`);
    },
    cleanup: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** startRedis for one test: killed, and its directory removed, when the scope ends. */
export async function redis(scope: Scope, options: Parameters<typeof startRedis>[0] = {}): Promise<RedisServer> {
  const r = await startRedis(options);
  scope.push(r.cleanup);
  return r;
}

export interface Serve {
  proc: Proc;
  port: number;
  /** Where webhooks go: http://127.0.0.1:PORT/webhook. */
  url: string;
  /** http://127.0.0.1:PORT, for /ready and /metrics. */
  base: string;
}

/** `etsyhook serve --port 0 --secret SECRET --queue <redis> …extra` in the home; resolves once it listens. */
export async function serve(scope: Scope, r: RedisServer, home: { env: NodeJS.ProcessEnv }, extra: string[] = []): Promise<Serve> {
  const proc = await startCli(['serve', '--host', '127.0.0.1', '--port', '0', '--secret', SECRET, '--queue', r.url, ...extra], { env: home.env, ready: /serve: listening/ });
  scope.push(() => proc.stop('SIGKILL'));
  const port = servePort(proc.stderr());
  return { proc, port, url: `http://127.0.0.1:${port}/webhook`, base: `http://127.0.0.1:${port}` };
}

/** `etsyhook worker --queue <redis> …args` in the home; resolves once it is delivering. */
export async function worker(scope: Scope, r: RedisServer, home: { env: NodeJS.ProcessEnv }, args: string[]): Promise<Proc> {
  const proc = await startCli(['worker', '--queue', r.url, ...args], { env: home.env, ready: /delivering from Redis/ });
  scope.push(() => proc.stop('SIGKILL'));
  return proc;
}

/** A plain node-redis client for assertions (closed by the returned function). */
export async function redisClient(url: string): Promise<{ send: <T = unknown>(args: string[]) => Promise<T>; close: () => Promise<void> }> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  return { send: <T,>(args: string[]) => client.sendCommand(args) as Promise<T>, close: () => client.close().catch(() => {}) };
}

/** The port `etsyhook serve --port 0` reports in its start line. */
export function servePort(stderr: string): number {
  const m = /serve: listening on http:\/\/[^:/]+:(\d+)\//.exec(stderr);
  if (!m) throw new Error(`no port in serve's start line: ${stderr}`);
  return Number(m[1]);
}
