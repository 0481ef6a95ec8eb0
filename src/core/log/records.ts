// What the store holds: one line per record (src/core/events/record.ts: the schema), with a checksum, so a torn or
// corrupted line is told apart from an event.
import { crc32 } from 'node:zlib';
import type { DeliveryRecord, ReceivedRecord, StoreRecord } from '../events/record.js';

export * from '../events/record.js';

/**
 * One stored line: the record's JSON, a tab, and the CRC-32 of the JSON in hex. JSON never holds a raw tab, so the
 * line stays readable, and a torn or corrupted line is detected instead of being read as a different event.
 */
export function formatRecord(rec: StoreRecord): string {
  const json = JSON.stringify(rec);
  return `${json}\t${crc32(json).toString(16).padStart(8, '0')}\n`;
}

/** Parse one stored line (without its newline); undefined for a torn write, a failed checksum, or garbage. */
export function parseRecord(line: string): StoreRecord | undefined {
  if (line.length < 12 || line.charCodeAt(0) !== 123 /* { */) return undefined;
  const tab = line.length - 9;
  if (line.charCodeAt(tab) !== 9 /* \t */) return undefined;
  const json = line.slice(0, tab);
  const sum = line.slice(tab + 1);
  if (crc32(json).toString(16).padStart(8, '0') !== sum) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string' || typeof r.at !== 'string') return undefined;
  if (r.kind === 'received') {
    if (typeof r.headers !== 'object' || r.headers === null) return undefined;
    if (typeof r.verdict === 'string') upgrade(r, 'verdict');
    if (typeof r.status !== 'string') return undefined;
    return r as unknown as ReceivedRecord;
  }
  if (r.kind === 'delivery') {
    if (typeof r.target !== 'string') return undefined;
    if (typeof r.outcome === 'string') upgrade(r, 'outcome');
    if (typeof r.status !== 'string') return undefined;
    if (typeof r.response === 'string') r.response = { body: r.response };
    return r as unknown as DeliveryRecord;
  }
  return undefined;
}

/**
 * Records written before 0.2.0 kept the outcome word in `verdict` (received) or `outcome` (delivery) and the HTTP
 * code in `status`: read them in today's schema.
 */
function upgrade(r: Record<string, unknown>, word: 'verdict' | 'outcome'): void {
  if (typeof r.status === 'number') r.httpStatus = r.status;
  r.status = r[word];
  delete r[word];
}
