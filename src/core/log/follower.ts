// Following the event log live, from any process: read only the bytes appended since the last read, in bounded
// slices, in batches. Copes with a log that does not exist yet, and with one replaced by `events clear`.
import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { typeMatcher } from '../events/globs.js';
import type { EventStatus, ReceivedRecord, StoreRecord } from './records.js';
import { checksumOk, lineHead, lineTime, linesBackward, linesForward, looksComplete, parseLine } from './scan.js';

export interface FollowOptions {
  /** Called with each batch of new records, oldest first. */
  onRecords: (records: StoreRecord[]) => void;
  onBadLine?: (offset: number, length: number) => void;
  /** Fallback poll interval; fs.watch wakes the reader sooner where it works. */
  pollMs?: number;
  /** At most this many bytes are read per turn of the event loop, so a large backlog streams in bounded memory. */
  sliceBytes?: number;
}

/** Reads a growing log from an offset onwards. */
export class LogFollower {
  private fd: number | undefined;
  private ino: number | undefined;
  private offset: number;
  /** The last complete line delivered: after the log is replaced, reading resumes just past its copy. */
  private lastLine: Buffer | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private paused = false;
  private stopped = false;

  constructor(
    private readonly file: string,
    offset: number,
    private readonly options: FollowOptions,
  ) {
    this.offset = offset;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.pollMs ?? 200);
    this.kick();
  }

  /** Stop reading until resume() (the consumer's output is backed up). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Bytes of the log read so far. */
  get position(): number {
    return this.offset;
  }

  private kick(): void {
    if (this.scheduled || this.stopped || this.paused) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.readSome();
    });
  }

  private watchFile(): void {
    if (this.watcher || this.stopped) return;
    try {
      this.watcher = watch(this.file, { persistent: false }, () => this.kick());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined; // not there yet: the poll finds it
    }
  }

  /** Open the log if it exists now; switch to a new file if it was replaced. */
  private ensureOpen(): boolean {
    let current: number | undefined;
    try {
      current = statSync(this.file).ino;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (this.fd !== undefined && current !== undefined && current !== this.ino) {
      // Replaced (events clear): finish what was appended to the old file, then continue in the new one just
      // past the copy of the last line already delivered (or from its start, when that line was cleared).
      this.offset = linesForward(this.fd, this.offset, (l) => this.take(l.bytes, l.offset));
      this.flush();
      closeSync(this.fd);
      this.fd = undefined;
      this.watcher?.close();
      this.watcher = undefined;
      this.offset = this.resumeOffset(this.file);
    }
    if (this.fd === undefined) {
      if (current === undefined) return false;
      try {
        this.fd = openSync(this.file, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw err;
      }
      this.ino = fstatSync(this.fd).ino;
    }
    this.watchFile();
    return true;
  }

  private resumeOffset(file: string): number {
    const last = this.lastLine;
    if (last === undefined) return 0;
    let found = 0;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return 0;
    }
    try {
      linesForward(fd, 0, (l) => {
        if (found === 0 && l.bytes.equals(last)) found = l.offset + l.bytes.length + 1;
      });
    } finally {
      closeSync(fd);
    }
    return found;
  }

  private batch: StoreRecord[] = [];
  private lastBytes: { bytes: Buffer; offset: number } | undefined;

  private take(bytes: Buffer, offset: number): void {
    this.lastBytes = { bytes, offset };
    const rec = looksComplete(bytes) ? parseLine(bytes) : undefined;
    if (rec === undefined) this.options.onBadLine?.(offset, bytes.length);
    else this.batch.push(rec);
  }

  private flush(): void {
    if (this.lastBytes !== undefined) this.lastLine = Buffer.from(this.lastBytes.bytes);
    this.lastBytes = undefined;
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    this.options.onRecords(records);
  }

  private readSome(): void {
    if (this.stopped || this.paused) return;
    if (!this.ensureOpen() || this.fd === undefined) return;
    const size = fstatSync(this.fd).size;
    if (size < this.offset) this.offset = 0; // truncated in place: start again
    if (size === this.offset) return;
    const slice = this.options.sliceBytes ?? 4 << 20;
    const end = Math.min(size, this.offset + slice);
    const before = this.offset;
    this.offset = linesForward(this.fd, this.offset, (l) => this.take(l.bytes, l.offset), { end });
    if (this.offset === before && end < size) {
      // One line longer than a slice: read it whole.
      this.offset = linesForward(this.fd, this.offset, (l) => this.take(l.bytes, l.offset));
    }
    this.flush();
    if (this.offset < size) this.kick(); // more is waiting: continue on the next turn
  }
}

/** Where the log ends now (0 when it does not exist yet). */
export function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

export interface TailFilterOptions {
  types?: readonly string[];
  statuses?: readonly EventStatus[];
  /** Only records at or after this time (ms since epoch). */
  since?: number;
}

/** Ids whose type is remembered, so a delivery line can be filtered by and show its event's type. */
const MAX_KNOWN_TYPES = 200_000;

/**
 * Which lines `tail` shows. A line's status is its own: the verdict of a received request, the outcome of a
 * delivery attempt. Delivery records carry no type: it comes from the request seen earlier (or from the backlog).
 */
export class TailFilter {
  private readonly typeOk: (type: string | undefined) => boolean;
  private readonly hasTypes: boolean;
  private readonly statuses: ReadonlySet<EventStatus>;
  private readonly since: number | undefined;
  /** Event id → [type, webhook-id] of requests seen. */
  private readonly types = new Map<string, [string | undefined, string | undefined]>();

  constructor(options: TailFilterOptions = {}) {
    this.typeOk = typeMatcher(options.types ?? []);
    this.hasTypes = (options.types ?? []).length > 0;
    this.statuses = new Set(options.statuses ?? []);
    this.since = options.since;
  }

  remember(rec: ReceivedRecord): void {
    if (this.types.has(rec.id)) return;
    if (this.types.size >= MAX_KNOWN_TYPES) {
      const oldest = this.types.keys().next();
      if (!oldest.done) this.types.delete(oldest.value);
    }
    this.types.set(rec.id, [rec.type, rec.webhookId]);
  }

  /** The record's event type, when known. */
  typeOf(rec: StoreRecord): string | undefined {
    return rec.kind === 'received' ? rec.type : this.types.get(rec.id)?.[0];
  }

  /** The record's webhook-id, when known. */
  webhookIdOf(rec: StoreRecord): string | undefined {
    return rec.kind === 'received' ? rec.webhookId : this.types.get(rec.id)?.[1];
  }

  accepts(rec: StoreRecord): boolean {
    if (rec.kind === 'received') this.remember(rec);
    if (this.since !== undefined && !(Date.parse(rec.at) >= this.since)) return false;
    if (this.hasTypes && !this.typeOk(this.typeOf(rec))) return false;
    if (this.statuses.size > 0 && !this.statuses.has(rec.status)) return false;
    return true;
  }
}

/** The log is in arrival order only roughly: start the backlog this far before a --since cut-off. */
const SINCE_SLACK_MS = 5 * 60_000;
/** Requests read from the end of the log before following, so later delivery lines know their event's type. */
const SEED_BYTES = 8 << 20;

/**
 * Prepare to follow from `end` (a line boundary, see completeEnd): learn the types of recent events, and with
 * `since`, find where the backlog to show starts. Reads backwards from the end; never the whole log unless `since`
 * asks for it. Unreadable lines are left for the follower to report.
 */
export function planTail(file: string, end: number, filter: TailFilter, since: number | undefined): number {
  let start = end;
  const recent: ReceivedRecord[] = [];
  for (const line of linesBackward(file, { end })) {
    const inSeed = end - line.offset <= SEED_BYTES;
    if (since === undefined && !inSeed) break;
    const head = lineHead(line.bytes);
    let rec: StoreRecord | undefined;
    const needParse = (inSeed && head?.kind !== 'delivery') || (since !== undefined && head === undefined);
    if (needParse && looksComplete(line.bytes)) rec = parseLine(line.bytes);
    const at = head?.kind === 'received' ? lineTime(line.bytes, head) : rec?.kind === 'received' ? Date.parse(rec.at) : Number.NaN;
    // Only an intact line may end the backlog: a damaged one could claim any time.
    if (since !== undefined && at < since - SINCE_SLACK_MS && looksComplete(line.bytes) && checksumOk(line.bytes)) break;
    if (since !== undefined) start = line.offset;
    if (inSeed && rec?.kind === 'received') recent.push(rec);
  }
  // Oldest first, so the newest requests are the last to be evicted from the bounded map.
  for (let i = recent.length - 1; i >= 0; i--) filter.remember(recent[i]!);
  return start;
}

/**
 * The last `n` records before `end` that `filter` accepts, oldest first (`tail --last N`): read backwards from the end,
 * so only as much of the log as it takes to find them. Call after planTail, which teaches the filter the types of
 * recent events (attempt records do not carry one). Unreadable lines are skipped and reported.
 */
export function lastRecords(file: string, end: number, filter: TailFilter, n: number, onBadLine?: (offset: number) => void): StoreRecord[] {
  const found: StoreRecord[] = [];
  if (n <= 0) return found;
  for (const line of linesBackward(file, { end })) {
    const rec = looksComplete(line.bytes) ? parseLine(line.bytes) : undefined;
    if (rec === undefined) {
      onBadLine?.(line.offset);
      continue;
    }
    if (keepLast(found, rec, filter, n)) break;
  }
  return found.reverse();
}

/**
 * One record read backwards for `tail --last N` (the file's or the Redis history's): the filter learns its type, and
 * it is kept when the filter takes it. True once N are kept.
 */
export function keepLast(found: StoreRecord[], rec: StoreRecord, filter: TailFilter, n: number): boolean {
  if (rec.kind === 'received') filter.remember(rec);
  if (filter.accepts(rec)) found.push(rec);
  return found.length >= n;
}

/** The offset just past the last newline at or before `size`: where complete lines end (0 for none). */
export function completeEnd(file: string, size: number): number {
  if (size === 0) return 0;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let pos = size;
    while (pos > 0) {
      const len = Math.min(chunk.length, pos);
      pos -= len;
      const n = readSync(fd, chunk, 0, len, pos);
      const nl = chunk.subarray(0, n).lastIndexOf(10);
      if (nl >= 0) return pos + nl + 1;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
