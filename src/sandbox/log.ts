// The sandbox's durable state log: one append-only file of checksummed NDJSON lines (the event store's format),
// group-committed: every append resolves once fsync'd, so a change and the webhooks it fires are on disk, in one
// record, before the API answers. A torn last record (a crash mid-write) is dropped with a warning; any other
// unreadable record is an unusable state file.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { OperationError } from '../errors.js';
import { checksummedLine, parseChecksummed } from '../core/log/records.js';

export class StateFileError extends OperationError {}

export interface LoadedLog {
  entries: Record<string, unknown>[];
  /** Set when a torn last record was dropped. */
  dropped?: string;
}

/** Every record of the log, oldest first (nothing when the file does not exist). */
export function loadLog(file: string): LoadedLog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
    throw new StateFileError(`cannot read the sandbox state ${file}: ${(err as Error).message}`);
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text === '';
  const entries: Record<string, unknown>[] = [];
  let dropped: string | undefined;
  let good = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const last = complete ? i === lines.length - 2 : i === lines.length - 1;
    if (line === '' && i === lines.length - 1) break;
    const entry = parseChecksummed(line);
    if (entry === undefined) {
      if (last) {
        dropped = `dropped a torn last record in ${file} (a write cut short)`;
        break;
      }
      throw new StateFileError(`the sandbox state ${file} has an unreadable record (line ${i + 1}); start again with etsyhook sandbox --fresh`);
    }
    entries.push(entry);
    good += Buffer.byteLength(line) + 1;
  }
  if (dropped !== undefined) truncateSync(file, good);
  return dropped === undefined ? { entries } : { entries, dropped };
}

/** Replace the log with `entries` at once (write aside, fsync, rename): compaction and --fresh. */
export function writeLog(file: string, entries: readonly unknown[]): void {
  const aside = `${file}.tmp`;
  const fd = openSync(aside, 'w', 0o600);
  try {
    for (const e of entries) writeSync(fd, checksummedLine(e));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(aside, file);
}

export function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

interface Waiting {
  text: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Appends to the log, one fsync per batch of records arriving together. */
export class StateLog {
  private queue: Waiting[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly handle: fsp.FileHandle,
    /** Where the last whole record ends: a failed write is cut back to here, so no torn line stays mid-file. */
    private size: number,
  ) {}

  static async open(file: string): Promise<StateLog> {
    const handle = await fsp.open(file, 'a', 0o600);
    return new StateLog(handle, (await handle.stat()).size);
  }

  append(entry: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new OperationError('the sandbox state is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ text: checksummedLine(entry), resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const data = Buffer.from(batch.map((w) => w.text).join(''), 'utf8');
        try {
          // A nearly full disk may take part of the bytes without an error: write the rest, or fail.
          for (let off = 0; off < data.length; ) {
            const { bytesWritten } = await this.handle.write(data, off, data.length - off);
            if (bytesWritten <= 0) throw new Error('short write');
            off += bytesWritten;
          }
          await this.handle.datasync();
          this.size += data.length;
          for (const w of batch) w.resolve();
        } catch (err) {
          // A disk that filled half-way through leaves part of a line: cut it off, or the next start would refuse a
          // damaged record in the middle of the log. (If even that fails, the tail is a torn last line, dropped at load.)
          await this.handle.truncate(this.size).catch(() => {});
          const e = new OperationError(`cannot write the sandbox state: ${(err as Error).message}`);
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Waits for appends in flight, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.handle.close();
  }
}

/**
 * One sandbox per state directory: two would append to the same log and disagree. The lock names its process; one
 * left by a process that is gone (a SIGKILL) is taken over. Returns the release.
 */
export function lockState(file: string): () => void {
  const lock = `${file}.lock`;
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateFileError(`cannot lock the sandbox state ${file}: ${(err as Error).message}`);
      const pid = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new StateFileError(`another etsyhook sandbox (pid ${pid}) is using ${file}`, { hint: 'stop it, or give this one its own ETSYHOOK_HOME' });
      }
      rmSync(lock, { force: true });
    }
  }
  throw new StateFileError(`cannot lock the sandbox state ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
