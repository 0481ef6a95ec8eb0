// The Redis sink: a received request is kept in the history stream, and an accepted one also queued for the
// workers, in one Lua script with the shared de-duplication (SET NX of its webhook-id): a webhook-id accepted by
// any receiver is queued once. The script's reply is Redis's acknowledgement; only then does the receiver answer 2xx.
import { StoreUnavailableError } from '../../errors.js';
import type { EventSink } from '../log/sink.js';
import type { DeliveryRecord, ReceivedRecord, StoreRecord, Verdict } from '../log/records.js';
import { bodyBytes } from '../log/records.js';
import { command, KEYS, probeWrite, ReplyDeadlines, Script, type RedisClient, type Retention, describeRedisError, type QueueTarget } from './connection.js';
import { pythonJsonDumps } from './python-json.js';

// KEYS: history, jobs, seen key of the webhook-id[, legacy list]
// ARGV: record JSON, where its duplicate form comes from ('' = no webhook-id; a byte offset = the top-level
//       "status":"accepted" in the record JSON, spliced here with ARGV[10] as the reason; '=' = ARGV[10] is the
//       whole duplicate record JSON), event id, seen TTL ms, history MAXLEN, '~' or '=', legacy payload ('' = none),
//       verdict, '1' to queue accepted events for the workers, the reason's JSON string (or the duplicate record)
const RECEIVE = new Script(`
local function keep(json)
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[6], ARGV[5], '*', 'r', json)
end
if ARGV[8] ~= 'accepted' then
  keep(ARGV[1])
  return ARGV[8]
end
if ARGV[2] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then
  if ARGV[2] == '=' then
    keep(ARGV[10])
  else
    -- The record with "status":"duplicate" in place of "status":"accepted" (19 bytes) and the reason last, as
    -- JSON.stringify({...rec, status: 'duplicate', reason}) writes it.
    local at = tonumber(ARGV[2])
    keep(string.sub(ARGV[1], 1, at) .. '"status":"duplicate"' .. string.sub(ARGV[1], at + 20, -2) .. ',"reason":' .. ARGV[10] .. '}')
  end
  return 'duplicate'
end
if KEYS[4] then
  local t = redis.call('TYPE', KEYS[4])['ok']
  if t ~= 'none' and t ~= 'list' then return redis.error_reply('WRONGTYPE the --legacy-queue key holds a ' .. t .. ', not a list') end
end
-- The webhook-id is claimed last: a write that fails before it leaves the id free for Etsy's retry.
keep(ARGV[1])
if ARGV[9] == '1' then redis.call('XADD', KEYS[2], '*', 'id', ARGV[3], 'attempt', '0', 'event', ARGV[1]) end
if KEYS[4] and ARGV[7] ~= '' then redis.call('LPUSH', KEYS[4], ARGV[7]) end
if ARGV[2] ~= '' then redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4]) end
return 'accepted'
`);

const ACCEPTED = '"status":"accepted"';
/**
 * Fields that may follow `status` in a received record for the splice to be sound: none is an object, so no
 * `"status":"accepted"` after the top-level one can be JSON structure (inside a string every quote is escaped).
 */
const SCALARS_AFTER_STATUS = new Set(['body', 'body64', 'httpStatus', 'type', 'webhookId', 'scheme', 'remote', 'forwardTo', 'routes']);

/**
 * How the script is to write the duplicate form of an accepted record: the UTF-8 byte offset of its top-level
 * `"status":"accepted"` (the receiver's key order: status after headers, nothing but scalars and `routes` after it),
 * or undefined when the record is not in that shape (a record replayed from elsewhere) or already has a reason.
 */
export function statusOffset(rec: ReceivedRecord, json: string): number | undefined {
  let afterStatus = false;
  for (const key in rec) {
    if (key === 'status') afterStatus = true;
    else if (key === 'reason') return undefined; // the spread would keep reason in its place, not append it
    else if (afterStatus && !SCALARS_AFTER_STATUS.has(key)) return undefined;
  }
  const at = json.lastIndexOf(ACCEPTED);
  if (at === -1) return undefined;
  // Byte offset: what follows is counted from the end (the headers before it may hold non-ASCII text, so may the body).
  return Buffer.byteLength(json) - Buffer.byteLength(json.slice(at));
}

export interface RedisSinkOptions {
  retention: Retention;
  /** Also LPUSH each accepted payload here, as the seed chapter's WebhookQueue.enqueue does. */
  legacyQueue?: string;
  /** Queue accepted events for workers (default); false when this process delivers them itself (dev --forward-to). */
  enqueue?: boolean;
  /** Per-command deadline (a hung Redis answers 503 after this). */
  timeoutMs?: number;
  /** false: never trim the history (a reader that records a few attempts does not know the receivers' --retain). */
  trim?: boolean;
}

export class RedisSink implements EventSink {
  private lastError: string | undefined;
  private writes = new Set<Promise<unknown>>();
  private trimTimer: NodeJS.Timeout | undefined;
  /** The receive script's reply deadline (node-redis's own, per command, costs too much per request). */
  private readonly deadlines: ReplyDeadlines;

  constructor(
    readonly client: RedisClient,
    private readonly target: QueueTarget,
    private readonly options: RedisSinkOptions,
  ) {
    this.deadlines = new ReplyDeadlines(options.timeoutMs ?? 5_000);
    // Time-based trimming, by whoever runs: often enough that a short --retain shows, at most once a minute.
    if (options.trim === false) return;
    const every = Math.max(200, Math.min(60_000, Math.floor(options.retention.ms / 2)));
    this.trimTimer = setInterval(() => void trimHistory(client, options.retention).catch(() => {}), every);
    this.trimTimer.unref();
  }

  async receive(rec: ReceivedRecord): Promise<Verdict> {
    const accepted = rec.status === 'accepted';
    const webhookId = accepted ? rec.webhookId : undefined;
    const json = JSON.stringify(rec);
    let dupFrom = '';
    let dupArg = '';
    if (webhookId !== undefined) {
      const reason = `webhook-id ${webhookId} was already accepted`;
      const at = statusOffset(rec, json);
      if (at !== undefined) {
        dupFrom = String(at);
        dupArg = JSON.stringify(reason);
      } else {
        dupFrom = '=';
        dupArg = JSON.stringify({ ...rec, status: 'duplicate', reason });
      }
    }
    let legacy = '';
    if (accepted && this.options.legacyQueue !== undefined) {
      try {
        legacy = pythonJsonDumps(bodyBytes(rec).toString('utf8'));
      } catch {
        legacy = ''; // a body Python's json.loads would refuse: the seed's queue never saw such events either
      }
    }
    const { count } = this.options.retention;
    const p = RECEIVE.run<string>(
      this.client,
      [KEYS.history, KEYS.jobs, KEYS.seen(webhookId ?? ''), ...(this.options.legacyQueue === undefined ? [] : [this.options.legacyQueue])],
      [json, dupFrom, rec.id, String(this.options.retention.ms), String(count), count >= 10_000 ? '~' : '=', legacy, rec.status, this.options.enqueue === false ? '0' : '1', dupArg],
      this.deadlines,
    );
    this.track(p);
    let verdict: string;
    try {
      verdict = await p;
    } catch (err) {
      throw this.unavailable(err);
    }
    this.lastError = undefined;
    if (verdict === 'duplicate' && accepted) {
      rec.status = 'duplicate';
      rec.reason = `webhook-id ${webhookId} was already accepted`;
    }
    return rec.status;
  }

  async attempt(rec: DeliveryRecord): Promise<void> {
    const cap = this.options.trim === false ? [] : ['MAXLEN', '~', String(this.options.retention.count)];
    const p = command(this.client, ['XADD', KEYS.history, ...cap, '*', 'r', JSON.stringify(rec)], this.options.timeoutMs);
    this.track(p);
    try {
      await p;
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** The file store's interface, for replay. */
  async append(rec: StoreRecord, _options?: unknown): Promise<void> {
    if (rec.kind === 'received') await this.receive(rec);
    else await this.attempt(rec);
  }

  health(): { store: string; ok: boolean; reason?: string } {
    const ok = this.client.isReady;
    const reason = ok ? undefined : (this.lastError ?? 'not connected to Redis');
    return { store: `redis://${this.target.where}`, ok, ...(reason === undefined ? {} : { reason }) };
  }

  /** /ready: a write to the {etsyhook} slot went through (on a cluster, on the node that owns it now). */
  async ready(): Promise<{ ok: boolean; reason?: string }> {
    try {
      await probeWrite(this.client);
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: describeRedisError(err, this.target) };
    }
  }

  async close(): Promise<void> {
    clearInterval(this.trimTimer);
    await Promise.allSettled([...this.writes]);
    await this.client.close().catch(() => this.client.destroy());
  }

  private track(p: Promise<unknown>): void {
    this.writes.add(p);
    const done = (): void => void this.writes.delete(p);
    p.then(done, done);
  }

  private unavailable(err: unknown): StoreUnavailableError {
    this.lastError = describeRedisError(err, this.target);
    return new StoreUnavailableError(`Redis at ${this.target.where}: ${this.lastError}`, err);
  }
}

/** Drop history (and dead letters) older than the retention window. */
export async function trimHistory(client: RedisClient, retention: Retention): Promise<void> {
  const minId = String(Math.max(0, Date.now() - retention.ms));
  await command(client, ['XTRIM', KEYS.history, 'MINID', minId]);
  await command(client, ['XTRIM', KEYS.dead, 'MINID', minId]);
}

/** Events waiting: queued and not yet taken, plus waiting for a retry. */
export async function queueDepth(client: RedisClient): Promise<number> {
  const [len, delayed] = await Promise.all([command<number>(client, ['XLEN', KEYS.jobs], 2_000), command<number>(client, ['ZCARD', KEYS.delayed], 2_000)]);
  return Number(len) + Number(delayed);
}
