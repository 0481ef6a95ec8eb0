// Reliability 6: random truncation and corruption of store files never crashes a reader and never yields an event
// that was not written; lines the damage did not touch are all still read, in order. Readers: readForward and
// readBackward (store.ts), and queryEvents (the scan behind `events list`, `show` and `replay`), at random chunk
// sizes so chunk boundaries fall everywhere. Plus a follower reading a file while it is written in random pieces.
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRecord, type StoreRecord, type ReceivedRecord, type DeliveryRecord } from '../../src/core/log/records.js';
import { readBackward, readForward } from '../../src/core/log/store.js';
import { queryEvents } from '../../src/core/log/query.js';
import { recordFigure } from '../support/index.js';

const dir = mkdtempSync(join(tmpdir(), 'etsyhook-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const RUNS = 1000;
let passed = 0;
const counts = { runs: 0, records: 0, mutations: 0, yielded: 0 };

// Text that makes life hard for a line reader: newlines, tabs, braces, quotes, backslashes, non-ASCII, surrogates.
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('\n', '\t', '{', '}', '"', '\\', '\r', 'é', '€', '😀', '\u2028', '\ud800', 'a'), maxLength: 30 }),
);
const idArb = fc.stringMatching(/^evt_[0-9a-z]{4}$/);
const isoArb = fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }).map((ms) => new Date(ms).toISOString());

const receivedArb: fc.Arbitrary<ReceivedRecord> = fc.record(
  {
    kind: fc.constant('received' as const),
    id: idArb,
    at: isoArb,
    method: fc.constantFrom('POST', 'GET', 'PUT'),
    path: fc.constantFrom('/webhook', '/x'),
    headers: fc.dictionary(fc.stringMatching(/^[a-z-]{1,12}$/), nasty, { maxKeys: 5 }),
    body: nasty,
    status: fc.constantFrom('accepted' as const, 'rejected' as const, 'duplicate' as const, 'ignored' as const),
    reason: nasty,
    type: fc.constantFrom('order.paid', 'order.shipped', 'listing.created', 'weird"type', 'ty\\pe'),
    webhookId: nasty,
  },
  { requiredKeys: ['kind', 'id', 'at', 'method', 'path', 'headers', 'status'] },
);
const deliveryArb: fc.Arbitrary<DeliveryRecord> = fc.record(
  {
    kind: fc.constant('delivery' as const),
    id: idArb,
    at: isoArb,
    target: fc.constantFrom('http://127.0.0.1:3000/hook', 'http://x/y'),
    attempt: fc.integer({ min: 1, max: 9 }),
    httpStatus: fc.integer({ min: 100, max: 599 }),
    ms: fc.integer({ min: 0, max: 30_000 }),
    error: nasty,
    status: fc.constantFrom('delivered' as const, 'failed' as const, 'dead' as const),
  },
  { requiredKeys: ['kind', 'id', 'at', 'target', 'attempt', 'status'] },
);
const recordsArb = fc.array(fc.oneof({ arbitrary: receivedArb, weight: 3 }, { arbitrary: deliveryArb, weight: 2 }), { minLength: 1, maxLength: 25 });

/** Damage that keeps every byte's position: flipped bytes and overwritten ranges. */
const inPlaceArb = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ op: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
    fc.record({ op: fc.constant('newline' as const), at: fc.nat() }),
  ),
  { minLength: 1, maxLength: 6 },
);
/** Damage that moves bytes: truncation, inserted garbage, deleted ranges. */
const shiftingArb = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 60 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 80 }) }),
    fc.record({ op: fc.constant('dupe' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 300 }) }),
  ),
  { minLength: 1, maxLength: 5 },
);
const chunkArb = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 4096 }), fc.constant(1 << 20));

function key(r: StoreRecord): string {
  return JSON.stringify(r);
}

function encode(records: StoreRecord[]): { bytes: Buffer; spans: { start: number; end: number; rec: StoreRecord }[] } {
  const spans: { start: number; end: number; rec: StoreRecord }[] = [];
  const parts: Buffer[] = [];
  let pos = 0;
  for (const rec of records) {
    const b = Buffer.from(formatRecord(rec), 'utf8');
    spans.push({ start: pos, end: pos + b.length - 1, rec }); // end: index of its newline
    parts.push(b);
    pos += b.length;
  }
  return { bytes: Buffer.concat(parts), spans };
}

interface ReadAll {
  forward: StoreRecord[];
  backward: StoreRecord[];
  query: { record: StoreRecord; deliveries: StoreRecord[] }[];
}

/** Every reader over `bytes`; none may throw. */
function readAll(bytes: Buffer, chunkSize: number): ReadAll {
  const file = join(dir, `s${fileNo++}.ndjson`);
  writeFileSync(file, bytes);
  try {
    const forward: StoreRecord[] = [];
    readForward(file, 0, (r) => forward.push(r), { chunkSize, onBadLine: () => {} });
    const backward = [...readBackward(file, { chunkSize, onBadLine: () => {} })];
    const query = [...queryEvents(file, {}, { chunkSize, onBadLine: () => {} })].map((e) => ({ record: e.record, deliveries: e.deliveries }));
    counts.yielded += forward.length;
    return { forward, backward, query };
  } finally {
    rmSync(file, { force: true });
  }
}

/** Nothing a reader yields may be other than a record that was written; deliveries only under their own event. */
function expectNothingInvented(written: StoreRecord[], got: ReadAll): void {
  const known = new Set(written.map(key));
  for (const r of [...got.forward, ...got.backward]) expect(known.has(key(r)), `invented: ${key(r)}`).toBe(true);
  for (const e of got.query) {
    expect(known.has(key(e.record)), `invented event: ${key(e.record)}`).toBe(true);
    for (const d of e.deliveries) {
      expect(known.has(key(d)), `invented attempt: ${key(d)}`).toBe(true);
      expect(d.id).toBe(e.record.id);
    }
  }
}

function isSubsequence<T>(small: T[], big: T[]): boolean {
  let i = 0;
  for (const x of big) if (i < small.length && x === small[i]) i++;
  return i === small.length;
}

describe('store readers under damage (fast-check)', () => {
  it('in-place damage: no crash, nothing invented, every untouched line still read, in order', () => {
    fc.assert(
      fc.property(recordsArb, inPlaceArb, chunkArb, (records, damage, chunkSize) => {
        counts.runs++;
        counts.records += records.length;
        counts.mutations += damage.length;
        const { bytes, spans } = encode(records);
        const touched = new Uint8Array(bytes.length);
        for (const d of damage) {
          const at = d.at % bytes.length;
          if (d.op === 'flip') {
            bytes[at] = bytes[at]! ^ d.xor;
            touched[at] = 1;
          } else if (d.op === 'newline') {
            bytes[at] = 10;
            touched[at] = 1;
          } else {
            for (let i = 0; i < d.bytes.length && at + i < bytes.length; i++) {
              bytes[at + i] = d.bytes[i]!;
              touched[at + i] = 1;
            }
          }
        }
        const got = readAll(bytes, chunkSize);
        expectNothingInvented(records, got);
        // A line is intact when neither its bytes, its newline, nor the newline before it were touched.
        const intact = spans.filter((s) => {
          for (let i = Math.max(0, s.start - 1); i <= s.end; i++) if (touched[i]) return false;
          return true;
        });
        const intactKeys = intact.map((s) => key(s.rec));
        const fwd = got.forward.map(key);
        expect(isSubsequence(intactKeys, fwd), 'forward lost an intact line').toBe(true);
        expect(isSubsequence([...intactKeys].reverse(), got.backward.map(key)), 'backward lost an intact line').toBe(true);
        const queried = new Set(got.query.map((e) => key(e.record)));
        expect(intact.filter((s) => s.rec.kind === 'received' && !queried.has(key(s.rec))), 'query lost an intact event').toEqual([]);
      }),
      { numRuns: RUNS },
    );
    passed++;
  });

  it('truncation, insertion, deletion, duplication: no crash, nothing invented', () => {
    fc.assert(
      fc.property(recordsArb, shiftingArb, chunkArb, (records, damage, chunkSize) => {
        counts.runs++;
        counts.records += records.length;
        counts.mutations += damage.length;
        let bytes = encode(records).bytes;
        for (const d of damage) {
          const at = bytes.length === 0 ? 0 : d.at % (bytes.length + 1);
          if (d.op === 'truncate') bytes = bytes.subarray(0, at);
          else if (d.op === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(d.bytes), bytes.subarray(at)]);
          else if (d.op === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + d.len)]);
          else bytes = Buffer.concat([bytes.subarray(0, at + d.len), bytes.subarray(at)]);
        }
        expectNothingInvented(records, readAll(bytes, chunkSize));
      }),
      { numRuns: RUNS },
    );
    passed++;
  });

  it('a torn tail (crash mid-write): exactly the complete lines before it are read', () => {
    fc.assert(
      fc.property(recordsArb, fc.nat(), chunkArb, (records, cut, chunkSize) => {
        counts.runs++;
        counts.records += records.length;
        const { bytes, spans } = encode(records);
        const size = cut % (bytes.length + 1);
        const got = readAll(bytes.subarray(0, size), chunkSize);
        expectNothingInvented(records, got);
        const complete = spans.filter((s) => s.end < size).map((s) => key(s.rec));
        expect(got.forward.map(key)).toEqual(complete);
        // Backward also reads a last line that lacks only its newline (its checksum proves it whole).
        const backward = got.backward.map(key).reverse();
        const almost = spans.find((s) => s.end === size);
        expect(backward).toEqual(almost ? [...complete, key(almost.rec)] : complete);
      }),
      { numRuns: RUNS },
    );
    passed++;
  });

  it('a follower reading while the file is written in random pieces sees every record once, in order', () => {
    fc.assert(
      fc.property(recordsArb, fc.array(fc.nat(), { maxLength: 30 }), (records, cuts) => {
        counts.runs++;
        counts.records += records.length;
        const { bytes } = encode(records);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const file = join(dir, `f${fileNo++}.ndjson`);
        writeFileSync(file, '');
        try {
          const seen: StoreRecord[] = [];
          let offset = 0;
          let prev = 0;
          for (const p of [...points, bytes.length]) {
            appendFileSync(file, bytes.subarray(prev, p));
            prev = p;
            offset = readForward(file, offset, (r) => seen.push(r), { chunkSize: 64 });
          }
          expect(seen.map(key)).toEqual(records.map(key));
          expect(offset).toBe(bytes.length);
        } finally {
          rmSync(file, { force: true });
        }
      }),
      { numRuns: RUNS },
    );
    passed++;
  });

  afterAll(() => {
    if (passed < 4) return;
    recordFigure('6. store damage (fast-check)', `${counts.runs} random stores, ${counts.records} records, ${counts.mutations} random damages; readers crashed 0 times, invented 0 records, lost 0 untouched lines`);
  });
});
