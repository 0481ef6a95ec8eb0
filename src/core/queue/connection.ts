// The Redis side of etsyhook: one client per process role, the key layout (every key under one hash tag, so the
// layout runs on a Redis Cluster as on one server), and one clear line for each way connecting fails. A cluster is
// found here (redis+cluster://, or a redis:// node that says cluster_enabled:1), so every caller gets it for free.
import { hostname } from 'node:os';
import { createClient, createCluster } from 'redis';
import { OperationError, UsageError } from '../../errors.js';
import { networkFailure } from '../../net-errors.js';
import type { QueueTarget } from './url.js';

export { parseQueueUrl, parseRetain, redact, type QueueTarget, type Retention } from './url.js';

/** Every key carries this hash tag: one slot on a Cluster, so scripts and MULTI may touch several keys. */
export const HASH_TAG = '{etsyhook}';
/** That slot: CLUSTER KEYSLOT {etsyhook}. */
const HASH_SLOT = 5045;

export const KEYS = {
  /** Stream: every received request and every delivery attempt, field `r` = the record's JSON. */
  history: `${HASH_TAG}:history`,
  /** Stream consumed by workers (group `workers`): fields `id`, `attempt` (attempts so far), `event` (JSON). */
  jobs: `${HASH_TAG}:jobs`,
  /** Sorted set of jobs waiting for a retry: score = due time (ms), member = {"attempt":n,"event":{…}} JSON. */
  delayed: `${HASH_TAG}:delayed`,
  /** Stream of dead letters: fields `id`, `attempts`, `error`, `event`. */
  dead: `${HASH_TAG}:dead`,
  /** String per accepted webhook-id (value: the event id), expiring with the history: shared de-duplication. */
  seen: (webhookId: string): string => `${HASH_TAG}:seen:${webhookId}`,
  /** String written by serve's /ready: proof that the slot's node takes writes, not only PINGs. */
  ready: `${HASH_TAG}:ready`,
} as const;

export const GROUP = 'workers';

/**
 * What etsyhook asks of a connection: node-redis's own client on one server (no wrapper on the hot path), or its
 * cluster client behind ClusterClient.
 */
export interface RedisClient {
  /** True on a Redis Cluster (for messages: "Redis Cluster at …"). */
  readonly cluster?: boolean;
  sendCommand(args: string[], options?: object): Promise<unknown>;
  readonly isReady: boolean;
  close(): Promise<void>;
  destroy(): void;
}

export interface ConnectOptions {
  /** Told when an open connection is lost (once per loss) and when it is back. */
  onDown?: (reason: string) => void;
  onUp?: () => void;
  connectTimeoutMs?: number;
  /** --legacy-queue: a key the receive script writes with etsyhook's own, so on a cluster it must share their slot. */
  legacyQueue?: string;
}

/**
 * Connect, or fail with one line that says what is wrong (nothing listening, wrong password, TLS mismatch). Once
 * connected the client reconnects by itself; commands fail at once while it is down (no offline queue), so the
 * receiver answers 503 instead of waiting. A Redis Cluster (named by redis+cluster://, or found on the node a
 * redis:// URL names) gets node-redis's cluster client: every command goes to the node that owns the {etsyhook}
 * slot, and follows it when the slot moves (MOVED, ASK).
 */
export async function connect(target: QueueTarget, options: ConnectOptions = {}): Promise<RedisClient> {
  if (target.seeds !== undefined) return connectCluster(target, target.seeds, options);
  const client = await connectNode(target, options);
  // Asked once per connection, never per request: a cluster node would answer MOVED for a slot it does not own.
  if (!(await clusterEnabled(client))) return client;
  await client.close().catch(() => client.destroy());
  return connectCluster(target, [target.url], options);
}

async function connectNode(target: QueueTarget, options: ConnectOptions): Promise<RedisClient> {
  const watch = watchConnection(target, options);
  const client = createClient({
    url: target.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: options.connectTimeoutMs ?? 5_000, reconnectStrategy: watch.reconnectStrategy },
  });
  client.on('error', watch.failed);
  client.on('ready', watch.back);
  await watch.open('Redis', () => client.connect(), () => client.destroy());
  return client;
}

/**
 * The life of one connection (a server or a cluster): before it is first established, the first error is kept for
 * one clear failure and no reconnect is tried; after, a loss is told once (onDown) and so is the return (onUp), with
 * reconnects within a second or so.
 */
function watchConnection(target: QueueTarget, options: ConnectOptions) {
  let connected = false;
  let down = false;
  let firstError: Error | undefined;
  return {
    reconnectStrategy: (retries: number, cause: Error): number | Error => (connected ? Math.min(50 * 2 ** Math.min(retries, 5), 1_000) : cause),
    get down(): boolean {
      return down;
    },
    failed(err: Error): void {
      if (!connected) {
        firstError ??= err;
        return;
      }
      if (!down) {
        down = true;
        options.onDown?.(describeRedisError(err, target));
      }
    },
    back(): void {
      if (down) {
        down = false;
        options.onUp?.();
      }
    },
    async open(what: string, connectNow: () => Promise<unknown>, destroy: () => void): Promise<void> {
      try {
        await connectNow();
        connected = true;
      } catch (err) {
        destroy();
        throw new OperationError(`cannot use ${what} at ${target.where}: ${describeRedisError(firstError ?? err, target)}`, {
          hint: hintFor(firstError ?? err, target),
          cause: err,
          code: networkFailure(firstError ?? err)?.code ?? 'failed',
        });
      }
    },
  };
}

async function clusterEnabled(client: RedisClient): Promise<boolean> {
  try {
    return /^cluster_enabled:1\b/m.test(String(await command(client, ['INFO', 'cluster'])));
  } catch {
    return false; // a user not allowed INFO: one server, as before
  }
}

/** node-redis's cluster client, seen through the RedisClient that every caller uses. */
class ClusterClient implements RedisClient {
  readonly cluster = true;
  constructor(
    private readonly nodes: Pick<ReturnType<typeof createCluster>, 'isReady' | 'close' | 'destroy'> & {
      sendCommand(firstKey: string, isReadonly: boolean, args: string[], options?: object): Promise<unknown>;
      getNodeClientForKey(key: string): Promise<{ sendCommand(args: string[], options?: object): Promise<unknown> }>;
    },
  ) {}
  sendCommand(args: string[], options?: object): Promise<unknown> {
    // node-redis sends SCRIPT LOAD to every node, so one node down anywhere would keep a script from loading: the
    // slot's owner is the one that runs etsyhook's scripts.
    if (args[0] === 'SCRIPT' && args[1] === 'LOAD') return this.nodes.getNodeClientForKey(HASH_TAG).then((node) => node.sendCommand(args, options));
    // Every key etsyhook touches carries the hash tag, so every other command is routed by it.
    return this.nodes.sendCommand(HASH_TAG, false, args, options);
  }
  get isReady(): boolean {
    return this.nodes.isReady;
  }
  close(): Promise<void> {
    return this.nodes.close();
  }
  destroy(): void {
    this.nodes.destroy();
  }
}

async function connectCluster(target: QueueTarget, seeds: readonly string[], options: ConnectOptions): Promise<RedisClient> {
  const watch = watchConnection(target, options);
  // The seeds only find the cluster; the nodes it names are reached with these defaults (credentials, TLS).
  const first = new URL(seeds[0]!);
  const cluster = createCluster({
    rootNodes: seeds.map((url) => ({ url })),
    defaults: {
      ...(first.username === '' ? {} : { username: decodeURIComponent(first.username) }),
      ...(first.password === '' ? {} : { password: decodeURIComponent(first.password) }),
      disableOfflineQueue: true,
      socket: {
        ...(target.tls ? { tls: true as const } : {}),
        connectTimeout: options.connectTimeoutMs ?? 5_000,
        reconnectStrategy: watch.reconnectStrategy,
      },
    },
  });
  // Only the node that owns the slot matters: another master going away changes nothing for etsyhook.
  const ours = (node: { host: string; port: number }): boolean => {
    const master = cluster.slots[HASH_SLOT]?.master;
    return master === undefined || (master.host === node.host && master.port === node.port);
  };
  cluster.on('error', watch.failed);
  cluster.on('node-error', (err: Error, node: { host: string; port: number }) => {
    if (ours(node)) watch.failed(err);
  });
  cluster.on('node-ready', (node: { host: string; port: number }) => {
    if (watch.down && ours(node)) watch.back();
  });
  await watch.open('the Redis Cluster', () => cluster.connect(), () => cluster.destroy());
  const client = new ClusterClient(cluster);
  if (options.legacyQueue !== undefined) {
    const key = options.legacyQueue;
    const [mine, its] = await Promise.all([command(client, ['CLUSTER', 'KEYSLOT', HASH_TAG]), command(client, ['CLUSTER', 'KEYSLOT', key])]);
    if (Number(mine) !== Number(its)) {
      await client.close().catch(() => client.destroy());
      throw new UsageError(
        `--legacy-queue ${key} is in another slot of the Redis Cluster than etsyhook's keys, so one script cannot write both`,
        `name the list with etsyhook's hash tag, e.g. --legacy-queue '${HASH_TAG}${key}', and read it under that name`,
      );
    }
  }
  return client;
}

/** A write to the {etsyhook} slot, as /ready asks: a PING answers even where the slot's writes would fail. */
export async function probeWrite(client: RedisClient, timeoutMs = 2_000): Promise<void> {
  await command(client, ['SET', KEYS.ready, new Date().toISOString(), 'PX', '60000'], timeoutMs);
}

/** A name for this consumer in the group: host, pid and a random part (a restarted process is a new consumer). */
export function consumerName(): string {
  return `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** One short reason for a Redis failure. */
export function describeRedisError(err: unknown, target: QueueTarget): string {
  const e = err as { code?: string; message?: string; name?: string };
  const msg = e.message ?? String(err);
  if (/WRONGPASS|invalid username-password/i.test(msg)) return 'the password (or user) in the URL was refused';
  if (/NOAUTH/i.test(msg)) return 'Redis wants a password: put it in the URL, redis://:PASSWORD@host:port';
  if (/AUTH.*called without any password|ERR AUTH/i.test(msg)) return 'the URL carries a password but this Redis has none set';
  // The network failures as every sender names them (src/net-errors.ts), worded for Redis.
  const net = networkFailure(err);
  if (net?.system === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) return 'connection refused (is redis-server running there?)';
  if (/client is offline/i.test(msg)) return 'not connected (Redis is down or unreachable; reconnecting)';
  if (net?.code === 'dns') return 'host not found';
  if (net?.code === 'reset' || /ECONNRESET|Socket closed unexpectedly/i.test(msg)) {
    return target.tls ? 'the connection was closed during the TLS handshake (is this port TLS?)' : 'the connection was closed';
  }
  if (net?.code === 'tls' || /wrong version number|ssl|tls|certificate|EPROTO/i.test(msg)) {
    return `TLS failed: ${msg.split('\n')[0]}`;
  }
  if (net?.code === 'timeout' || /timeout/i.test(e.name ?? '') || /timeout/i.test(msg)) return target.tls ? 'timed out without a TLS answer (a rediss:// URL on a plain redis:// port?)' : 'timed out: nothing answered';
  if (/MISCONF|READONLY|OOM/.test(msg)) return `Redis refuses writes: ${msg.split('\n')[0]}`;
  if (/SELECT is not allowed in cluster mode/i.test(msg)) return 'this Redis is a cluster node, and a cluster has only database 0: drop the /N from the URL';
  if (/^(TRYAGAIN|ASK|MOVED|CLUSTERDOWN)\b/.test(msg)) return `the Redis Cluster is moving or missing the {etsyhook} slot: ${msg.split('\n')[0]}`;
  return msg.split('\n')[0] ?? 'failed';
}

function hintFor(err: unknown, target: QueueTarget): string {
  const reason = describeRedisError(err, target);
  if (reason.startsWith('connection refused')) return 'start it (redis-server --appendonly yes --appendfsync always) or fix --queue / ETSYHOOK_QUEUE';
  if (reason.includes('password')) return 'check the password in --queue (redis://:PASSWORD@host:port)';
  if (reason.includes('TLS') || reason.includes('rediss')) return 'use rediss:// only for a TLS port, redis:// otherwise';
  return 'check --queue / ETSYHOOK_QUEUE';
}

/** Run one command with a deadline (a hung Redis must not hang a request). */
export function command<T = unknown>(client: RedisClient, args: string[], timeoutMs = 5_000): Promise<T> {
  return client.sendCommand(args, { timeout: timeoutMs, rejectInFlight: true } as never) as Promise<T>;
}

/** A command that waited too long for its reply (its late reply, if any, is dropped). */
export class ReplyTimeoutError extends OperationError {
  override name = 'TimeoutError';
  constructor(ms: number) {
    super(`Command timed out after ${ms}ms waiting for its reply`);
  }
}

interface Waiting {
  due: number;
  done: boolean;
  fail: (err: Error) => void;
}

/**
 * Reply deadlines for the commands of one connection that share one timeout: what `command()` gets from node-redis's
 * `rejectInFlight`, at a fraction of its cost on a receiver's hot path (there it cost ~10 µs and a lot of promoted
 * garbage per command). A connection answers in the order it was sent, and every deadline here is the same length,
 * so the oldest command still waiting is always the next to expire: a queue and one timer serve them all. The send
 * itself keeps node-redis's timeout (a command that cannot be written in time is dropped, never sent late).
 */
export class ReplyDeadlines {
  private readonly waiting: (Waiting | undefined)[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly timeoutMs = 5_000) {}

  /** Send `args` on `client`: rejects with ReplyTimeoutError when no reply came within the timeout. */
  command<T = unknown>(client: RedisClient, args: string[]): Promise<T> {
    const sent = client.sendCommand(args, { timeout: this.timeoutMs } as never) as Promise<T>;
    return new Promise<T>((resolve, reject) => {
      const w: Waiting = { due: performance.now() + this.timeoutMs, done: false, fail: reject };
      this.waiting.push(w);
      if (this.timer === undefined) this.arm(this.timeoutMs);
      sent.then(
        (reply) => {
          if (w.done) return;
          this.settled(w);
          resolve(reply);
        },
        (err: unknown) => {
          if (w.done) return;
          this.settled(w);
          reject(err as Error);
        },
      );
    });
  }

  private settled(w: Waiting): void {
    w.done = true;
    // Replies come in order: the settled ones at the head go at once (a NOSCRIPT retry may settle out of order).
    const q = this.waiting;
    while (this.head < q.length && q[this.head]!.done) q[this.head++] = undefined;
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= q.length) {
      q.splice(0, this.head);
      this.head = 0;
    }
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.expire, Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    const q = this.waiting;
    const expired: Waiting[] = [];
    while (this.head < q.length) {
      const w = q[this.head]!;
      if (!w.done) {
        if (w.due > now) break;
        w.done = true;
        expired.push(w);
      }
      q[this.head++] = undefined;
    }
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    } else {
      this.arm(q[this.head]!.due - now);
    }
    for (const w of expired) w.fail(new ReplyTimeoutError(this.timeoutMs));
  };
}

/** Run a Lua script by its SHA, loading it on first use and after a Redis restart (NOSCRIPT). */
export class Script {
  private sha: string | undefined;
  constructor(private readonly source: string) {}
  /** `timeoutMs`: the deadline of each command (with `rejectInFlight`), or the ReplyDeadlines to send them with. */
  async run<T>(client: RedisClient, keys: string[], args: string[], timeoutMs: number | ReplyDeadlines = 5_000): Promise<T> {
    const send = <R,>(a: string[]): Promise<R> => (typeof timeoutMs === 'number' ? command<R>(client, a, timeoutMs) : timeoutMs.command<R>(client, a));
    if (this.sha !== undefined) {
      try {
        return await send<T>(['EVALSHA', this.sha, String(keys.length), ...keys, ...args]);
      } catch (err) {
        if (!/NOSCRIPT/.test((err as Error).message)) throw err;
      }
    }
    this.sha = await send<string>(['SCRIPT', 'LOAD', this.source]);
    return send<T>(['EVALSHA', this.sha, String(keys.length), ...keys, ...args]);
  }
}
