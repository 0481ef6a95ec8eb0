// The worker: takes queued events from the jobs stream (consumer group `workers`, so any number of workers on any
// number of machines share them), delivers each through an EventDelivery, and settles it in one script: delivered
// (acknowledged), a retry due later (a sorted set, moved back to the stream when due), or dead (the dead-letter
// stream). An entry a worker took and never settled (it was killed) is reclaimed by another after claimAfterMs.
import type { DeliveryRecord, ReceivedRecord } from '../log/records.js';
import { bodyBytes } from '../log/records.js';
import { delayBefore } from '../delivery/retry.js';
import { attemptRecord, delivered, type DeliveryResult } from '../delivery/attempt.js';
import type { Deliverer } from '../delivery/http.js';
import { command, GROUP, KEYS, Script, type RedisClient } from './connection.js';

/**
 * One attempt at delivering an event: what `--forward-to` does now, and what routes will do (the Dispatcher's job,
 * shaped for a worker that must know the outcome before it acknowledges).
 */
export interface EventDelivery {
  /** `route`: the route label of a routed job (see routesFor). `result.ok` overrides "a 2xx is delivered". */
  deliver(event: ReceivedRecord, body: Buffer, attempt: number, route?: string): Promise<{ target: string; result: DeliveryResult & { ok?: boolean } }>;
  /**
   * With routes: the labels of the routes an event goes to. A job without a route is then fanned out into one job
   * per route (each with its own attempts, retries and dead letter) instead of being delivered.
   */
  routesFor?(event: ReceivedRecord): string[];
  /** A route's own max_attempts, when it sets one. */
  maxAttemptsFor?(route: string): number | undefined;
  close(): Promise<void>;
}

/** Every event to one URL, through the shared HTTP sender. */
export class ForwardDelivery implements EventDelivery {
  constructor(
    readonly target: string,
    private readonly sender: Deliverer,
    private readonly timeoutMs: number,
  ) {}
  async deliver(event: ReceivedRecord, body: Buffer, attempt: number): Promise<{ target: string; result: DeliveryResult }> {
    const result = await this.sender.send(this.target, event.headers, body, { timeoutMs: this.timeoutMs, attempt });
    return { target: this.target, result };
  }
  close(): Promise<void> {
    return this.sender.close();
  }
}

// Move due retries back onto the jobs stream. KEYS: delayed, jobs. ARGV: now (ms). Member: "attempt|id|event JSON",
// or for a route's job "attempt|id|ROUTE_HEX|event JSON" (hex: a route label may hold any character, even '|').
const MOVE_DUE = new Script(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 200)
for _, m in ipairs(due) do
  local a = string.find(m, '|', 1, true)
  local b = string.find(m, '|', a + 1, true)
  redis.call('ZREM', KEYS[1], m)
  if string.sub(m, b + 1, b + 1) == '{' then
    redis.call('XADD', KEYS[2], '*', 'id', string.sub(m, a + 1, b - 1), 'attempt', string.sub(m, 1, a - 1), 'event', string.sub(m, b + 1))
  else
    local c = string.find(m, '|', b + 1, true)
    local route = string.gsub(string.sub(m, b + 1, c - 1), '..', function(h) return string.char(tonumber(h, 16)) end)
    redis.call('XADD', KEYS[2], '*', 'id', string.sub(m, a + 1, b - 1), 'attempt', string.sub(m, 1, a - 1), 'route', route, 'event', string.sub(m, c + 1))
  end
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if nxt[2] then return nxt[2] end
return ''
`);

// Settle an entry. KEYS: history, jobs, delayed, dead. ARGV: group, entry id, delivery JSON, mode, due, member,
// event id, attempts, error, event JSON, history MAXLEN, route label ('' = none).
const SETTLE = new Script(`
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[11], '*', 'r', ARGV[3])
if ARGV[4] == 'retry' then
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
elseif ARGV[4] == 'dead' then
  if ARGV[12] ~= '' then
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[11], '*', 'id', ARGV[7], 'attempts', ARGV[8], 'error', ARGV[9], 'route', ARGV[12], 'event', ARGV[10])
  else
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[11], '*', 'id', ARGV[7], 'attempts', ARGV[8], 'error', ARGV[9], 'event', ARGV[10])
  end
end
redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
return 1
`);

// Fan an event's job out into one job per route, atomically with its acknowledgement: a worker killed before this
// leaves the event's job to be reclaimed and fanned out again; after it, each route's job stands on its own.
// KEYS: jobs. ARGV: group, entry id, event id, event JSON, route labels… (none: the event is only acknowledged).
const FAN_OUT = new Script(`
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
for i = 5, #ARGV do
  redis.call('XADD', KEYS[1], '*', 'id', ARGV[3], 'attempt', '0', 'route', ARGV[i], 'event', ARGV[4])
end
redis.call('XDEL', KEYS[1], ARGV[2])
return #ARGV - 4
`);

export interface WorkerOptions {
  /** For settling, moving and claiming. */
  client: RedisClient;
  /** For the blocking read (a blocked connection can do nothing else). */
  reader: RedisClient;
  consumer: string;
  delivery: EventDelivery;
  concurrency: number;
  schedule: readonly number[];
  maxAttempts: number;
  claimAfterMs: number;
  historyMaxLen: number;
  onAttempt?: (report: { record: DeliveryRecord; event: ReceivedRecord; retryInMs?: number; reclaimed: boolean }) => void;
  /** Redis failed (once per outage) / is back. */
  onDown?: (reason: string) => void;
  onUp?: () => void;
}

interface Entry {
  entryId: string;
  id: string;
  attempt: number;
  eventJson: string;
  /** The route label of a routed job; undefined for an event's own job. */
  route?: string;
}

/** Create the jobs stream and its group if needed; from the start of the stream, so nothing queued before is missed. */
export async function ensureGroup(client: RedisClient): Promise<void> {
  try {
    await command(client, ['XGROUP', 'CREATE', KEYS.jobs, GROUP, '0', 'MKSTREAM']);
  } catch (err) {
    if (!/BUSYGROUP/.test((err as Error).message)) throw err;
  }
}

export class QueueWorker {
  private inFlight = new Set<string>();
  private stopping = false;
  private freed: (() => void) | undefined;
  private idle: (() => void) | undefined;
  private down = false;
  private lastClaim = 0;
  private lastMove = 0;
  private nextDue = Infinity;
  readonly counts = { delivered: 0, failed: 0, dead: 0, reclaimed: 0 };

  constructor(private readonly o: WorkerOptions) {}

  get pending(): number {
    return this.inFlight.size;
  }

  /** Consume until stop(); resolves when stopped and every delivery in flight has settled. */
  async run(): Promise<void> {
    // On a timer, not in the loop: the loop waits while every slot is taken by a slow delivery.
    const beat = setInterval(() => void this.heartbeat().catch(() => {}), Math.max(50, Math.min(this.o.claimAfterMs / 3, 5_000)));
    try {
      await this.consume();
    } finally {
      clearInterval(beat);
    }
  }

  private async consume(): Promise<void> {
    while (!this.stopping) {
      try {
        await ensureGroup(this.o.client);
        break;
      } catch (err) {
        await this.failed(err);
      }
    }
    while (!this.stopping) {
      try {
        const now = Date.now();
        if (now - this.lastMove >= 100 || now >= this.nextDue) await this.moveDue();
        if (now - this.lastClaim >= Math.min(this.o.claimAfterMs / 3, 5_000)) await this.claim();
        const free = this.o.concurrency - this.inFlight.size;
        if (free <= 0) {
          await new Promise<void>((r) => (this.freed = r));
          continue;
        }
        const block = Math.max(10, Math.min(1_000, this.nextDue - Date.now()));
        // A deadline past the block: a hung Redis must not hang the worker (what it handed out is reclaimed later).
        const args = ['XREADGROUP', 'GROUP', GROUP, this.o.consumer, 'COUNT', String(free), 'BLOCK', String(Math.round(block)), 'STREAMS', KEYS.jobs, '>'];
        const reply = await command(this.o.reader, args, Math.round(block) + 5_000);
        this.up();
        for (const e of streamEntries(reply)) this.start(e, false);
      } catch (err) {
        await this.failed(err);
      }
    }
    if (this.inFlight.size > 0) await new Promise<void>((r) => (this.idle = r));
  }

  /** Stop taking entries; run() resolves once those in flight are settled (or are left to be reclaimed). */
  stop(): void {
    this.stopping = true;
    this.freed?.();
  }

  private async moveDue(): Promise<void> {
    this.lastMove = Date.now();
    const next = await MOVE_DUE.run<string>(this.o.client, [KEYS.delayed, KEYS.jobs], [String(Date.now())]);
    this.nextDue = next === '' || next === null ? Infinity : Number(next);
  }

  /** Reset the idle time of what this worker is delivering, so a slow delivery is not taken over as if it had died. */
  private async heartbeat(): Promise<void> {
    if (this.inFlight.size === 0) return;
    await command(this.o.client, ['XCLAIM', KEYS.jobs, GROUP, this.o.consumer, '0', ...this.inFlight, 'JUSTID']);
  }

  private async claim(): Promise<void> {
    this.lastClaim = Date.now();
    const free = this.o.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const reply = await command<unknown[]>(this.o.client, ['XAUTOCLAIM', KEYS.jobs, GROUP, this.o.consumer, String(this.o.claimAfterMs), '0-0', 'COUNT', String(free)]);
    const entries = Array.isArray(reply) ? (reply[1] as unknown[]) : [];
    for (const raw of entries) {
      const e = toEntry(raw);
      if (e === undefined || this.inFlight.has(e.entryId)) continue;
      this.counts.reclaimed++;
      this.start(e, true);
    }
  }

  private start(e: Entry, reclaimed: boolean): void {
    this.inFlight.add(e.entryId);
    void this.process(e, reclaimed).finally(() => {
      this.inFlight.delete(e.entryId);
      const f = this.freed;
      this.freed = undefined;
      f?.();
      if (this.inFlight.size === 0) this.idle?.();
    });
  }

  private async process(e: Entry, reclaimed: boolean): Promise<void> {
    let event: ReceivedRecord;
    try {
      event = JSON.parse(e.eventJson) as ReceivedRecord;
    } catch {
      // Not ours to deliver (a hand-written entry): acknowledged so it does not come back for ever.
      await command(this.o.client, ['XACK', KEYS.jobs, GROUP, e.entryId]).catch(() => {});
      return;
    }
    const routesFor = this.o.delivery.routesFor?.bind(this.o.delivery);
    if (routesFor !== undefined && e.route === undefined) {
      await this.settle(() => FAN_OUT.run(this.o.client, [KEYS.jobs], [GROUP, e.entryId, event.id, e.eventJson, ...routesFor(event)]));
      return;
    }
    const attempt = e.attempt + 1;
    const { target, result } = await this.o.delivery.deliver(event, bodyBytes(event), attempt, e.route);
    const ok = delivered(result);
    const maxAttempts = (e.route === undefined ? undefined : this.o.delivery.maxAttemptsFor?.(e.route)) ?? this.o.maxAttempts;
    const retryInMs = ok ? undefined : delayBefore(this.o.schedule, attempt + 1, maxAttempts);
    const outcome = ok ? 'delivered' : retryInMs === undefined ? 'dead' : 'failed';
    const record = attemptRecord({ id: event.id, target, route: e.route, attempt, status: outcome }, result);
    const error = result.error ?? (result.status !== undefined ? `HTTP ${result.status}` : 'no answer');
    const args = [
      GROUP,
      e.entryId,
      JSON.stringify(record),
      ok ? 'delivered' : outcome === 'dead' ? 'dead' : 'retry',
      String(Date.now() + (retryInMs ?? 0)),
      e.route === undefined ? `${attempt}|${event.id}|${e.eventJson}` : `${attempt}|${event.id}|${Buffer.from(e.route).toString('hex')}|${e.eventJson}`,
      event.id,
      String(attempt),
      error,
      e.eventJson,
      String(this.o.historyMaxLen),
      e.route ?? '',
    ];
    if (!(await this.settle(() => SETTLE.run(this.o.client, [KEYS.history, KEYS.jobs, KEYS.delayed, KEYS.dead], args)))) return;
    this.counts[outcome]++;
    this.o.onAttempt?.({ record, event, ...(retryInMs === undefined ? {} : { retryInMs }), reclaimed });
  }

  /** Run a settling script until Redis takes it; false when stopping first (the entry is left for a reclaim). */
  private async settle(run: () => Promise<unknown>): Promise<boolean> {
    // Retried here while Redis is away, so a delivery is not lost to an outage.
    for (;;) {
      try {
        await run();
        this.up();
        return true;
      } catch (err) {
        if (this.stopping) return false;
        await this.failed(err);
      }
    }
  }

  private up(): void {
    if (!this.down) return;
    this.down = false;
    this.o.onUp?.();
  }

  private async failed(err: unknown): Promise<void> {
    if (!this.down) {
      this.down = true;
      this.o.onDown?.((err as Error).message ?? String(err));
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function toEntry(raw: unknown): Entry | undefined {
  if (!Array.isArray(raw) || raw.length < 2 || !Array.isArray(raw[1])) return undefined;
  const fields = raw[1] as string[];
  const get = (name: string): string | undefined => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (String(fields[i]) === name) return String(fields[i + 1]);
    return undefined;
  };
  const id = get('id');
  const eventJson = get('event');
  if (id === undefined || eventJson === undefined) return undefined;
  const route = get('route');
  return { entryId: String(raw[0]), id, attempt: Number(get('attempt') ?? 0) || 0, eventJson, ...(route === undefined ? {} : { route }) };
}

/** Entries of an XREADGROUP reply (RESP2 arrays, or RESP3 maps). */
function streamEntries(reply: unknown): Entry[] {
  if (reply === null || reply === undefined) return [];
  const streams: unknown[] = Array.isArray(reply) ? reply : Object.entries(reply as object);
  const out: Entry[] = [];
  for (const s of streams) {
    const entries = (s as unknown[])[1] as unknown[];
    for (const raw of entries ?? []) {
      const e = toEntry(raw);
      if (e !== undefined) out.push(e);
    }
  }
  return out;
}
