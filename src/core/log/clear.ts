// `events clear`: drop old events (and their delivery attempts) by rewriting the log into a temporary file and
// renaming it over the original, so a crash leaves either the old log or the new one, never half of each.
import { closeSync, fstatSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checksumOk, lineHead, lineTime, linesForward, looksComplete, parseLine } from './scan.js';

export interface ClearOptions {
  /** Keep events received at or after this time (ms since epoch); without it, everything goes. */
  olderThan?: number;
  /** After the rename, how long to watch the old file for a last batch from a receiver that has not switched yet. */
  graceMs?: number;
}

export interface ClearResult {
  removedEvents: number;
  keptEvents: number;
  /** Unreadable lines (torn writes, corruption) dropped on the way. */
  droppedBadLines: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** What a line is, for deciding whether it stays: kind, id, time. */
function classify(bytes: Buffer): { kind: 'received' | 'delivery'; id: string; at: number } | undefined {
  const head = lineHead(bytes);
  if (head !== undefined) {
    const at = lineTime(bytes, head);
    if (!Number.isNaN(at)) return { kind: head.kind, id: head.id, at };
  }
  const rec = parseLine(bytes);
  if (rec === undefined) return undefined;
  return { kind: rec.kind, id: rec.id, at: Date.parse(rec.at) };
}

export async function clearEvents(file: string, options: ClearOptions = {}): Promise<ClearResult> {
  const result: ClearResult = { removedEvents: 0, keptEvents: 0, droppedBadLines: 0, bytesBefore: 0, bytesAfter: 0 };
  let src: number;
  try {
    src = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw err;
  }
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.clearing`);
  const out = openSync(tmp, 'w', 0o600);
  let renamed = false;
  try {
    const cutoff = options.olderThan;
    // Ids of dropped events whose attempts may come later in the log. Bounded by the events removed.
    const removed = new Set<string>();
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = (): void => {
      if (pending.length === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      let off = 0;
      while (off < data.length) off += writeSync(out, data, off, data.length - off);
      result.bytesAfter += data.length;
      pending.length = 0;
      pendingBytes = 0;
    };
    const keepLine = (bytes: Buffer): void => {
      // Kept lines are copied byte for byte, never re-serialised.
      const copy = Buffer.allocUnsafe(bytes.length + 1);
      bytes.copy(copy);
      copy[bytes.length] = 10;
      pending.push(copy);
      pendingBytes += copy.length;
      if (pendingBytes >= 1 << 20) flush();
    };
    const onLine = ({ bytes }: { bytes: Buffer }): void => {
      // Damaged lines are dropped, never copied: only an intact line's kind, id and time are trusted.
      const what = looksComplete(bytes) && checksumOk(bytes) ? classify(bytes) : undefined;
      if (what === undefined) {
        result.droppedBadLines++;
        return;
      }
      if (what.kind === 'received') {
        if (cutoff !== undefined && what.at >= cutoff) {
          result.keptEvents++;
          keepLine(bytes);
        } else {
          result.removedEvents++;
          if (cutoff !== undefined) removed.add(what.id);
        }
        return;
      }
      if (cutoff !== undefined && what.at >= cutoff && !removed.has(what.id)) keepLine(bytes);
    };
    let offset = linesForward(src, 0, onLine);
    flush();
    // Records appended while we copied: take them too, then swap the files.
    offset = linesForward(src, offset, onLine);
    flush();
    fsyncSync(out);
    renameSync(tmp, file);
    renamed = true;
    syncDir(dirname(file));
    // A receiver still holding the old file may finish one more batch there before it notices the new one.
    // Receivers check for a replaced log every REPLACEMENT_CHECK_MS (100 ms); watch well past that.
    const graceUntil = Date.now() + (options.graceMs ?? 1000);
    const appender = openSync(file, 'a');
    try {
      const copyLate = (): void => {
        const before = result.bytesAfter;
        offset = linesForward(src, offset, onLine);
        if (pending.length === 0) return;
        const data = Buffer.concat(pending, pendingBytes);
        let off = 0;
        while (off < data.length) off += writeSync(appender, data, off, data.length - off);
        pending.length = 0;
        pendingBytes = 0;
        result.bytesAfter = before + data.length;
        fsyncSync(appender);
      };
      while (Date.now() < graceUntil) {
        copyLate();
        await new Promise((r) => setTimeout(r, 50));
      }
      copyLate();
    } finally {
      closeSync(appender);
    }
    result.bytesBefore = fstatSync(src).size;
    result.bytesAfter = statSync(file).size;
    return result;
  } finally {
    closeSync(out);
    closeSync(src);
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    }
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported everywhere; the rename itself is atomic */
  }
}
