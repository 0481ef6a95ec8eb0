// Raw line access to the event log, for readers that must touch millions of lines: lines come as byte slices, so
// a filter can rule a line out with a substring check before paying for decoding, the checksum and JSON.parse.
// Every line that is used still goes through parseRecord (records.ts), checksum included.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const chunkSize = options.chunkSize ?? 1 << 20;
    let pos = Math.min(options.end ?? Number.MAX_SAFE_INTEGER, fstatSync(fd).size);
    let carry: Buffer | undefined;
    const line: RawLine = { bytes: Buffer.alloc(0), offset: 0 };
    while (pos > 0) {
      const len = Math.min(chunkSize, pos);
      pos -= len;
      const chunk = Buffer.allocUnsafe(len);
      const n = readSync(fd, chunk, 0, len, pos);
      if (n < len) throw new Error(`short read in ${file}`);
      const buf = carry !== undefined ? Buffer.concat([chunk, carry]) : chunk;
      let end = buf.length;
      // Only lines after the first newline are complete; what precedes it joins the next (earlier) chunk.
      for (let nl = buf.lastIndexOf(NEWLINE, end - 1); nl >= 0; nl = end > 0 ? buf.lastIndexOf(NEWLINE, end - 1) : -1) {
        if (end > nl + 1) {
          line.bytes = buf.subarray(nl + 1, end);
          line.offset = pos + nl + 1;
          yield line;
        }
        end = nl;
      }
      carry = end > 0 ? Buffer.from(buf.subarray(0, end)) : undefined;
    }
    if (carry !== undefined && carry.length > 0) {
      line.bytes = carry;
      line.offset = 0;
      yield line;
    }
  } finally {
    closeSync(fd);
  }
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

/** Checksum, JSON and shape checks (records.ts): undefined for anything that is not an intact record. */
export function parseLine(bytes: Buffer): StoreRecord | undefined {
  return parseRecord(bytes.toString('utf8'));
}

const RECEIVED_PREFIX = Buffer.from('{"kind":"received","id":"');
const DELIVERY_PREFIX = Buffer.from('{"kind":"delivery","id":"');
const AT_INFIX = Buffer.from('","at":"');
const PREFIX_LENGTH = RECEIVED_PREFIX.length; // both prefixes have the same length

export interface LineHead {
  kind: 'received' | 'delivery';
  id: string;
  /** ms since epoch, when `at` follows the id; NaN otherwise. */
  at: number;
}

/**
 * The kind, id and time of a line written by JSON.stringify of a record that starts with kind, id and at — read
 * from the bytes without parsing. undefined when the line has another shape: parse it instead. Only trustworthy
 * once the line's checksum is verified, but good enough to decide that a line can be skipped.
 */
export function lineHead(bytes: Buffer): LineHead | undefined {
  let kind: LineHead['kind'];
  if (bytes.compare(RECEIVED_PREFIX, 0, PREFIX_LENGTH, 0, PREFIX_LENGTH) === 0) kind = 'received';
  else if (bytes.compare(DELIVERY_PREFIX, 0, PREFIX_LENGTH, 0, PREFIX_LENGTH) === 0) kind = 'delivery';
  else return undefined;
  const idEnd = bytes.indexOf(34 /* " */, PREFIX_LENGTH);
  if (idEnd < 0) return undefined;
  const id = bytes.toString('latin1', PREFIX_LENGTH, idEnd);
  if (id.includes('\\')) return undefined;
  let at = Number.NaN;
  if (bytes.compare(AT_INFIX, 0, AT_INFIX.length, idEnd, idEnd + AT_INFIX.length) === 0) {
    const start = idEnd + AT_INFIX.length;
    const end = bytes.indexOf(34, start);
    if (end > start && end - start <= 40) at = Date.parse(bytes.toString('latin1', start, end));
  }
  return { kind, id, at };
}

const TYPE_KEY = Buffer.from('"type":"');

/**
 * Could this line hold a record whose `type` passes `matches`? False only when it certainly cannot: compact JSON
 * always writes the field as "type":"value", so a line where no such value passes is ruled out. A value with an
 * escape in it is not decoded here: the line is kept for a full parse.
 */
export function typeMayMatch(bytes: Buffer, matches: (type: string | undefined) => boolean): boolean {
  for (let at = bytes.indexOf(TYPE_KEY); at >= 0; at = bytes.indexOf(TYPE_KEY, at + 1)) {
    const start = at + TYPE_KEY.length;
    const end = bytes.indexOf(34, start);
    if (end < 0) return true;
    const value = bytes.toString('utf8', start, end);
    if (value.includes('\\') || matches(value)) return true;
  }
  return false;
}
