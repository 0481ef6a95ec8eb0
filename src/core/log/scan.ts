// Raw line access to the event log, for readers that must touch millions of lines: lines come as byte slices, so
// a filter can rule a line out with a substring check before paying for decoding, the checksum and JSON.parse.
// Every line that is used still goes through parseRecord (records.ts), checksum included.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { parseRecord, type StoreRecord } from './records.js';

export interface RawLine {
  /** The line without its newline; a view into a chunk: copy it (toString) to keep it. */
  bytes: Buffer;
  /** Byte offset of the line in the file. */
  offset: number;
}

const NEWLINE = 10;
const TAB = 9;

/**
 * Lines newest first, reading backwards in chunks from `end` (default: the current size). The same object is
 * yielded each time with new contents: do not keep it.
 */
export function* linesBackward(file: string, options: { end?: number; chunkSize?: number } = {}): Generator<RawLine> {
  const line: RawLine = { bytes: Buffer.alloc(0), offset: 0 };
  for (const { buf, start, end, base } of chunksBackward(file, options)) {
    // eachLineBackward's walk, inline: a generator cannot yield from inside its callback.
    let e = end;
    while (e > start) {
      const nl = buf.lastIndexOf(NEWLINE, e - 1);
      const s = nl < start ? start : nl + 1;
      if (e > s) {
        line.bytes = buf.subarray(s, e);
        line.offset = base + s;
        yield line;
      }
      e = nl < start ? start : nl;
    }
  }
}

/** A stretch of complete lines in `buf[start, end)`, separated by newlines; `base` is the file offset of buf[0]. */
export interface LineChunk {
  buf: Buffer;
  start: number;
  end: number;
  base: number;
}

/**
 * The log backwards in chunks of complete lines, for readers that walk the lines of a chunk in a tight loop
 * (see eachLineBackward). With `skipUnless`, a chunk none of whose lines contains any of these byte strings is not
 * yielded at all (except the last chunk of the file, so a torn final record is always seen).
 */
export function* chunksBackward(file: string, options: { end?: number; chunkSize?: number; skipUnless?: readonly Buffer[] } = {}): Generator<LineChunk> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const chunkSize = options.chunkSize ?? 1 << 20;
    const needles = options.skipUnless;
    let pos = Math.min(options.end ?? Number.MAX_SAFE_INTEGER, fstatSync(fd).size);
    let carry: Buffer | undefined;
    let first = true;
    while (pos > 0) {
      const len = Math.min(chunkSize, pos);
      pos -= len;
      const chunk = Buffer.allocUnsafe(len);
      const n = readSync(fd, chunk, 0, len, pos);
      if (n < len) throw new Error(`short read in ${file}`);
      const buf = carry !== undefined ? Buffer.concat([chunk, carry]) : chunk;
      // Lines before the first newline may continue in the previous chunk: they are carried over, unless the file starts here.
      const firstNl = pos === 0 ? -1 : buf.indexOf(NEWLINE);
      if (firstNl < 0 && pos > 0) {
        carry = buf; // one line longer than the chunk: keep reading
        continue;
      }
      const start = firstNl + 1;
      carry = start > 0 ? Buffer.from(buf.subarray(0, start - 1)) : undefined;
      if (start < buf.length && (first || needles === undefined || containsAny(buf, start, needles))) yield { buf, start, end: buf.length, base: pos };
      first = false;
    }
  } finally {
    closeSync(fd);
  }
}

function containsAny(buf: Buffer, from: number, needles: readonly Buffer[]): boolean {
  for (const n of needles) if (buf.indexOf(n, from) >= 0) return true;
  return false;
}

/** Calls `fn(lineStart, lineEnd)` for each non-empty line of a chunk, last line first; stops when fn returns false. */
export function eachLineBackward(chunk: LineChunk, fn: (start: number, end: number) => boolean | void): boolean {
  const { buf, start } = chunk;
  let e = chunk.end;
  while (e > start) {
    const nl = buf.lastIndexOf(NEWLINE, e - 1);
    const s = nl < start ? start : nl + 1;
    if (e > s && fn(s, e) === false) return false;
    e = nl < start ? start : nl;
  }
  return true;
}

/**
 * Complete lines oldest first from `offset` up to the end of the file as it is now, through an open descriptor.
 * Returns the offset just past the last complete line: an incomplete last line (a write in progress) is left for
 * the next call.
 */
export function linesForward(
  fd: number,
  offset: number,
  onLine: (line: RawLine) => void,
  options: { end?: number; chunkSize?: number } = {},
): number {
  const size = Math.min(options.end ?? Number.MAX_SAFE_INTEGER, fstatSync(fd).size);
  const chunkSize = options.chunkSize ?? 1 << 20;
  let pos = offset;
  let consumed = offset;
  let carry: Buffer | undefined;
  const line: RawLine = { bytes: Buffer.alloc(0), offset: 0 };
  while (pos < size) {
    const len = Math.min(chunkSize, size - pos);
    const chunk = Buffer.allocUnsafe(len);
    const n = readSync(fd, chunk, 0, len, pos);
    if (n <= 0) break;
    const buf = carry !== undefined ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
    const base = pos - (carry?.length ?? 0);
    pos += n;
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE, start); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
      if (nl > start) {
        line.bytes = buf.subarray(start, nl);
        line.offset = base + start;
        onLine(line);
      }
      start = nl + 1;
      consumed = base + start;
    }
    carry = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
  }
  return consumed;
}

/** Lines oldest first from `offset` (opening the file; a missing file reads as empty). */
export function linesForwardInFile(file: string, offset: number, onLine: (line: RawLine) => void, options: { end?: number } = {}): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return offset;
    throw err;
  }
  try {
    return linesForward(fd, offset, onLine, options);
  } finally {
    closeSync(fd);
  }
}

/** The shape every stored line has (JSON, tab, 8 hex digits): a cheap test that catches torn writes. */
export function looksComplete(bytes: Buffer): boolean {
  const n = bytes.length;
  if (n < 12 || bytes[0] !== 123 /* { */ || bytes[n - 9] !== TAB) return false;
  for (let i = n - 8; i < n; i++) {
    const b = bytes[i]!;
    if (!((b >= 48 && b <= 57) || (b >= 97 && b <= 102))) return false;
  }
  return true;
}

/** The line's checksum holds (its shape must have passed looksComplete); decides nothing about its JSON. */
export function checksumOk(bytes: Buffer): boolean {
  const n = bytes.length;
  return crc32(bytes.subarray(0, n - 9)) === Number.parseInt(bytes.toString('latin1', n - 8, n), 16);
}

/** Checksum, JSON and shape checks (records.ts): undefined for anything that is not an intact record. */
export function parseLine(bytes: Buffer): StoreRecord | undefined {
  return parseRecord(bytes.toString('utf8'));
}

const KIND_PREFIX = Buffer.from('{"kind":"');
const RECEIVED_REST = Buffer.from('received","id":"');
const DELIVERY_REST = Buffer.from('delivery","id":"');
const AT_INFIX = Buffer.from('","at":"');
const ID_START = KIND_PREFIX.length + RECEIVED_REST.length; // both kinds have the same length

function bytesAt(bytes: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > bytes.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

export interface LineHead {
  kind: 'received' | 'delivery';
  id: string;
  /** Where the id's closing quote is (for lineTime). */
  idEnd: number;
}

/**
 * The kind and id of a line written by JSON.stringify of a record that starts with kind and id, read from the
 * bytes without parsing; undefined when the line has another shape (parse it instead). Trustworthy only once the
 * line's checksum is verified, but good enough to decide that a line can be skipped.
 */
export function lineHead(bytes: Buffer): LineHead | undefined {
  if (!bytesAt(bytes, 0, KIND_PREFIX)) return undefined;
  const c = bytes[KIND_PREFIX.length];
  let kind: LineHead['kind'];
  if (c === 114 /* r */ && bytesAt(bytes, KIND_PREFIX.length, RECEIVED_REST)) kind = 'received';
  else if (c === 100 /* d */ && bytesAt(bytes, KIND_PREFIX.length, DELIVERY_REST)) kind = 'delivery';
  else return undefined;
  // Store ids are evt_ and 16 characters: look there first.
  const idEnd = bytes[ID_START + 20] === 34 /* " */ ? ID_START + 20 : bytes.indexOf(34, ID_START);
  if (idEnd < 0 || idEnd - ID_START > 64) return undefined;
  for (let i = ID_START; i < idEnd; i++) {
    const b = bytes[i]!;
    if (b === 92 /* backslash */ || b >= 128) return undefined;
  }
  return { kind, id: bytes.toString('latin1', ID_START, idEnd), idEnd };
}

/** The record's time (ms since epoch) when `at` directly follows the id; NaN otherwise. */
export function lineTime(bytes: Buffer, head: LineHead): number {
  if (!bytesAt(bytes, head.idEnd, AT_INFIX)) return Number.NaN;
  const start = head.idEnd + AT_INFIX.length;
  const end = bytes.indexOf(34, start);
  if (end <= start || end - start > 40) return Number.NaN;
  return Date.parse(bytes.toString('latin1', start, end));
}

const TYPE_KEY = Buffer.from('"type":"');

/**
 * Could this line hold a record whose `type` passes `matches`? False only when it certainly cannot: compact JSON
 * always writes the field as "type":"value", so a line where no such value passes is ruled out. A value with an
 * escape in it is not decoded here: the line is kept for a full parse.
 */
export function typeMayMatch(bytes: Buffer, matches: (type: string | undefined) => boolean): boolean {
  // From the end: the record's own type follows its headers and body, so it is usually the first found.
  for (let at = bytes.lastIndexOf(TYPE_KEY); at >= 0; at = at > 0 ? bytes.lastIndexOf(TYPE_KEY, at - 1) : -1) {
    const start = at + TYPE_KEY.length;
    const end = bytes.indexOf(34, start);
    if (end < 0) return true;
    const value = bytes.toString('utf8', start, end);
    if (value.includes('\\') || matches(value)) return true;
  }
  return false;
}

const STATUS_KEY = Buffer.from('"status":"');
/** The keys records written before 0.2.0 used for the outcome word (see records.ts upgrade). */
const OLD_OUTCOME_KEY = Buffer.from('"outcome":"');
const OLD_VERDICT_KEY = Buffer.from('"verdict":"');

/**
 * Every value the line's `"status":"…"` (the outcome word; `httpStatus` is a number) could hold: a superset of the
 * record's real status, read without parsing (also under the pre-0.2.0 key). undefined when a value has an escape
 * (parse instead).
 */
export function statusValues(bytes: Buffer): string[] | undefined {
  const values: string[] = [];
  for (const needle of [STATUS_KEY, OLD_VERDICT_KEY, OLD_OUTCOME_KEY]) {
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      const start = at + needle.length;
      const end = bytes.indexOf(34, start);
      if (end < 0) return undefined;
      const value = bytes.toString('utf8', start, end);
      if (value.includes('\\')) return undefined;
      values.push(value);
    }
  }
  return values;
}

/** Delivery outcomes as bits, so a set of them is one number. */
export const OUTCOME_BITS = { delivered: 1, failed: 2, dead: 4 } as const;
const DELIVERED = Buffer.from('delivered"');
const FAILED = Buffer.from('failed"');
const DEAD = Buffer.from('dead"');

/**
 * The outcome of a delivery line as a bit (OUTCOME_BITS), read without parsing; 0 when it cannot be told that way
 * (the key appears more than once, e.g. in response headers, or an unexpected value): treat as unknown.
 */
export function outcomeBit(bytes: Buffer): number {
  const key = bytes.indexOf(OLD_OUTCOME_KEY) >= 0 ? OLD_OUTCOME_KEY : STATUS_KEY;
  const at = bytes.lastIndexOf(key);
  if (at < 0 || bytes.indexOf(key) !== at) return 0;
  const v = at + key.length;
  if (bytesAt(bytes, v, DELIVERED)) return OUTCOME_BITS.delivered;
  if (bytesAt(bytes, v, FAILED)) return OUTCOME_BITS.failed;
  if (bytesAt(bytes, v, DEAD)) return OUTCOME_BITS.dead;
  return 0;
}
