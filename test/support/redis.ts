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
export async function startRedis(options: { password?: string; extraArgs?: string[]; cluster?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'etsyhook-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // A cluster node's bus port, free too (by default it would be port + 10000, past 65535 for a high port).
  let bus = 0;
  const launch = async (): Promise<boolean> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
    if (options.password !== undefined) args.push('--requirepass', options.password);
    if (options.cluster === true) args.push('--cluster-enabled', 'yes', '--cluster-port', String(bus));
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
    if (options.cluster === true) do bus = await freePort(); while (bus === port);
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

export const REDIS_CLI = process.env.REDIS_CLI ?? '/usr/bin/redis-cli';

/** `CLUSTER KEYSLOT {etsyhook}`: the one slot every etsyhook key lives in. */
export const ETSYHOOK_SLOT = 5045;

export interface ClusterNode extends RedisServer {
  /** The node's cluster id (CLUSTER MYID). */
  id: string;
}

export interface SlotMove {
  from: ClusterNode;
  to: ClusterNode;
  keys: number;
  migratingAt: number;
  doneAt: number;
}

export interface RedisCluster {
  nodes: ClusterNode[];
  /** The node that owns `slot` now (asked of the cluster, not remembered). */
  owner: (slot?: number) => Promise<ClusterNode>;
  /** A node that does not own `slot`: pointed at it, a plain client is answered MOVED. */
  notOwner: (slot?: number) => Promise<ClusterNode>;
  /**
   * Move `slot` to another node as `redis-cli --cluster reshard` does: SETSLOT IMPORTING/MIGRATING, MIGRATE its keys
   * in batches of `batch` keys, then SETSLOT NODE on every node. Resolves with the node that owns it after, and when
   * (Date.now()) the slot began migrating and when every node had been told its new owner.
   */
  moveSlot: (options?: { slot?: number; to?: ClusterNode; batch?: number }) => Promise<SlotMove>;
  cleanup: () => Promise<void>;
}

function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.trim()}`));
    });
  });
}

/**
 * Three `redis-server --cluster-enabled yes` masters on free loopback ports (each in its own temporary directory),
 * joined with `redis-cli --cluster create … --cluster-replicas 0`, resolved once every node says cluster_state:ok.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  const stopAll = async (): Promise<void> => void (await Promise.all(servers.map((s) => s.cleanup())));
  try {
    // A node killed by a test is not declared failed (which would stop the whole cluster) before the test is done.
    for (let i = 0; i < 3; i++) servers.push(await startRedis({ cluster: true, extraArgs: ['--cluster-node-timeout', '30000'] }));
    await run(REDIS_CLI, ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const nodes: ClusterNode[] = [];
    for (const s of servers) {
      const c = await redisClient(s.url);
      try {
        nodes.push({ ...s, id: String(await c.send(['CLUSTER', 'MYID'])) });
        const until = Date.now() + 20_000;
        while (!/cluster_state:ok/.test(String(await c.send(['CLUSTER', 'INFO'])))) {
          if (Date.now() > until) throw new Error(`cluster node ${s.port} never said cluster_state:ok`);
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await c.close();
      }
    }
    const owner = async (slot = ETSYHOOK_SLOT): Promise<ClusterNode> => {
      // Each node's own view of the slot: the one that says it serves it (SETSLOT NODE reaches every node at once).
      for (const n of nodes) {
        const c = await redisClient(n.url);
        try {
          const ranges = (await c.send<unknown[][]>(['CLUSTER', 'SLOTS'])).map((r) => [Number(r[0]), Number(r[1]), Number((r[2] as unknown[])[1])]);
          const hit = ranges.find(([lo, hi]) => slot >= lo! && slot <= hi!);
          if (hit !== undefined && hit[2] === n.port) return n;
        } finally {
          await c.close();
        }
      }
      throw new Error(`no node owns slot ${slot}`);
    };
    const notOwner = async (slot = ETSYHOOK_SLOT): Promise<ClusterNode> => {
      const o = await owner(slot);
      return nodes.find((n) => n !== o)!;
    };
    const moveSlot = async ({ slot = ETSYHOOK_SLOT, to, batch = 100 }: { slot?: number; to?: ClusterNode; batch?: number } = {}): Promise<SlotMove> => {
      const from = await owner(slot);
      const dest = to ?? nodes.find((n) => n !== from)!;
      const src = await redisClient(from.url);
      const dst = await redisClient(dest.url);
      let keys = 0;
      let migratingAt = 0;
      try {
        await dst.send(['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', from.id]);
        migratingAt = Date.now();
        await src.send(['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', dest.id]);
        for (;;) {
          const some = await src.send<string[]>(['CLUSTER', 'GETKEYSINSLOT', String(slot), String(batch)]);
          if (some.length === 0) break;
          await src.send(['MIGRATE', '127.0.0.1', String(dest.port), '', '0', '10000', 'KEYS', ...some]);
          keys += some.length;
        }
        // The new owner first, then the old one, then the rest (as redis-cli does).
        for (const n of [dest, from, ...nodes.filter((x) => x !== dest && x !== from)]) {
          const c = n === dest ? dst : n === from ? src : await redisClient(n.url);
          try {
            await c.send(['CLUSTER', 'SETSLOT', String(slot), 'NODE', dest.id]);
          } finally {
            if (c !== dst && c !== src) await c.close();
          }
        }
      } finally {
        await src.close();
        await dst.close();
      }
      return { from, to: dest, keys, migratingAt, doneAt: Date.now() };
    };
    return { nodes, owner, notOwner, moveSlot, cleanup: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** startRedisCluster for one test: every node killed, and its directory removed, when the scope ends. */
export async function redisCluster(scope: Scope): Promise<RedisCluster> {
  const c = await startRedisCluster();
  scope.push(c.cleanup);
  return c;
}
