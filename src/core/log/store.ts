// log/ owns what is kept: the record format and schema (records.ts), this file store, readers that scan it
// (scan.ts, query.ts), the follower that `tail` uses (follower.ts), `events clear` (clear.ts) and the start-up scan
// that recovers pending deliveries and seen webhook-ids (recovery.ts).
//
// The durable event log: one append-only file of checksummed NDJSON lines (see records.ts).
// Appends are group-committed: records arriving while an fsync is in flight are written and synced together, so
// every append resolves only once its bytes are on disk, and durability costs one fsync per batch, not per event.
import { constants, promises as fsp, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir } from '../../home.js';
import { StoreUnavailableError } from '../../errors.js';
import { formatRecord, parseRecord, type StoreRecord } from './records.js';
import { linesBackward, linesForwardInFile } from './scan.js';

export const LOG_FILE = 'events.ndjson';
/** How often an appending store checks whether `events clear` replaced the log. */
export const REPLACEMENT_CHECK_MS = 100;

/** How long a lazily appended record may wait for its sync. */
export const LAZY_SYNC_MS = 100;

export interface AppendOptions {
  /**
   * true (the default): resolve once the record is on disk (fsync'd): what a 2xx promises for a received event.
   * false: resolve once it is written (in the page cache: it survives a crash of this process, and readers see it at
   * once), and sync it within LAZY_SYNC_MS or at close. For delivery attempts, whose loss in an OS crash costs only
   * history (the event looks pending and is delivered again): a replay of thousands is not thousands of syncs.
   */
  durable?: boolean;
}

export function logPath(dir: string): string {
  return join(dir, LOG_FILE);
}

interface Pending {
  /** The formatted line; a batch is joined and written as one string (no Buffer per record). */
  line: string;
  durable: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class EventStore {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  /** After a failed (possibly partial) write, the next write starts on a fresh line so it cannot merge with the torn one. */
  private needsNewline: boolean;
  private closed = false;
  private checkedAt = Date.now();
  /** Bytes written but not yet synced (lazy appends), and the timer that syncs them. */
  private unsynced = false;
  private syncDue = false;
  private syncTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly dir: string,
    private handle: fsp.FileHandle,
    private ino: number,
    endsClean: boolean,
  ) {
    this.needsNewline = !endsClean;
  }

  static async open(dir: string): Promise<EventStore> {
    try {
      ensureDir(dir);
      const { handle, ino, endsClean } = await openLog(logPath(dir));
      return new EventStore(dir, handle, ino, endsClean);
    } catch (err) {
      throw new StoreUnavailableError(`cannot open the event store in ${dir}: ${(err as Error).message}`, err);
    }
  }

  /**
   * `events clear` replaces the log with a rewritten copy (rename): switch to the new file, or every later record
   * would go to the unlinked old one and vanish. Checked at most every REPLACEMENT_CHECK_MS (clear keeps copying late
   * records from the old file for longer than that), so the check stays off the per-batch path.
   */
  private async followReplacement(): Promise<void> {
    const now = Date.now();
    if (now - this.checkedAt < REPLACEMENT_CHECK_MS) return;
    this.checkedAt = now;
    const file = logPath(this.dir);
    let ino: number | undefined;
    try {
      ino = (await fsp.stat(file)).ino;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return; // the write itself will say what is wrong
    }
    if (ino === this.ino) return;
    const next = await openLog(file);
    const old = this.handle;
    this.handle = next.handle;
    this.ino = next.ino;
    this.needsNewline = !next.endsClean;
    // Lazy appends still unsynced went to the old file (clear copies them over): sync them there before letting go.
    if (this.unsynced) await old.datasync().catch(() => {});
    this.unsynced = false;
    await old.close().catch(() => {});
  }

  append(record: StoreRecord, options?: AppendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the event store is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line: formatRecord(record), durable: options?.durable ?? true, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Group commit: a batch is written (a quick write(2) into the page cache, in this thread) and fdatasync'd; the
   * records arriving meanwhile form the next batch. Each batch resolves only after its own sync, so every
   * acknowledged record is on disk. (Overlapping two syncs was tried: more, smaller syncs, and slower.) A batch of
   * lazy appends only is resolved once written; its sync comes with the next durable batch or LAZY_SYNC_MS later.
   */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.syncDue) {
        const batch = this.queue;
        this.queue = [];
        if (batch.length > 0) {
          let text = '';
          for (const p of batch) text += p.line;
          try {
            await this.followReplacement();
            this.writeFully(this.needsNewline ? `\n${text}` : text);
            this.needsNewline = false;
            this.unsynced = true;
          } catch (err) {
            this.needsNewline = true;
            const e = new StoreUnavailableError(`cannot write the event store: ${(err as Error).message}`, err);
            for (const p of batch) p.reject(e);
            continue;
          }
        }
        if (!this.syncDue && !batch.some((p) => p.durable)) {
          for (const p of batch) p.resolve();
          this.scheduleSync();
        } else {
          this.syncDue = false;
          try {
            await this.handle.datasync();
            // Writes happen only in this loop, so the sync covered every byte written so far.
            this.unsynced = false;
            for (const p of batch) p.resolve();
          } catch (err) {
            const e = new StoreUnavailableError(`cannot sync the event store to disk: ${(err as Error).message}`, err);
            for (const p of batch) p.reject(e);
          }
        }
        // Let what the resolved appends trigger run first, so whatever they append joins the next batch.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Lazy appends are synced within LAZY_SYNC_MS (sooner when a durable batch comes first). */
  private scheduleSync(): void {
    if (this.syncTimer !== undefined || this.closed) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      if (!this.unsynced || this.closed) return;
      this.syncDue = true;
      this.flushing ??= this.flush();
    }, LAZY_SYNC_MS);
  }

  private writeFully(text: string): void {
    // One write(2) of the string in the common case; a short write (a nearly full disk) continues from the bytes.
    let offset = writeSync(this.handle.fd, text);
    if (offset === Buffer.byteLength(text)) return;
    const data = Buffer.from(text, 'utf8');
    while (offset < data.length) {
      if (offset <= 0) throw new Error('short write');
      const n = writeSync(this.handle.fd, data, offset, data.length - offset);
      if (n <= 0) throw new Error('short write');
      offset += n;
    }
  }

  /** Waits for writes in flight, syncs what lazy appends left unsynced, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    while (this.flushing) await this.flushing;
    try {
      if (this.unsynced) await this.handle.datasync();
      this.unsynced = false;
    } catch (err) {
      throw new StoreUnavailableError(`cannot sync the event store to disk: ${(err as Error).message}`, err);
    } finally {
      await this.handle.close();
    }
  }
}

/** Open the log for appending; O_APPEND: each batch is one write(2) at the end, so two receivers never interleave. */
async function openLog(file: string): Promise<{ handle: fsp.FileHandle; ino: number; endsClean: boolean }> {
  const handle = await fsp.open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  const { size, ino } = await handle.stat();
  let endsClean = true;
  if (size > 0) {
    const last = Buffer.alloc(1);
    const reader = await fsp.open(file, 'r');
    try {
      await reader.read(last, 0, 1, size - 1);
    } finally {
      await reader.close();
    }
    endsClean = last[0] === 10;
  }
  return { handle, ino, endsClean };
}

export interface ReadOptions {
  /** Told once per unreadable line (a torn final write after a crash, corruption). */
  onBadLine?: (offset: number, length: number) => void;
  chunkSize?: number;
}

/**
 * Records newest first, reading the file backwards in chunks: `events list --limit 20` touches only the end of a
 * large store. Stop early by breaking out of the loop.
 */
export function* readBackward(file: string, options: ReadOptions = {}): Generator<StoreRecord> {
  for (const line of linesBackward(file, options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {})) {
    const rec = parseRecord(line.bytes.toString('utf8'));
    if (rec) yield rec;
    else options.onBadLine?.(line.offset, line.bytes.length);
  }
}

/**
 * Records oldest first from byte `offset`; returns the offset just past the last complete line read, so a
 * follower can call again later. An incomplete last line (a write in progress) is left for the next call.
 */
export function readForward(
  file: string,
  offset: number,
  onRecord: (rec: StoreRecord) => void,
  options: ReadOptions = {},
): number {
  let from = offset;
  try {
    if (statSync(file).size < offset) from = 0; // the file was replaced (events clear): start again
  } catch {
    return offset; // not there (yet)
  }
  return linesForwardInFile(file, from, (line) => {
    const rec = parseRecord(line.bytes.toString('utf8'));
    if (rec) onRecord(rec);
    else options.onBadLine?.(line.offset, line.bytes.length);
  });
}
