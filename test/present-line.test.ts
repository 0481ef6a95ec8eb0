// serve's (and dev --json's) line per request is built as one object literal (receivedLineJson) for speed; it must
// stay byte for byte the line the spread form gave: receivedJson's fields, the answer's HTTP status and reason in
// their places, then stored and ms.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReceivedRecord } from '../src/core/log/records.js';
import { receivedJson, receivedLineJson } from '../src/ui/present.js';

const opt = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

describe('receivedLineJson', () => {
  it('gives the same JSON as {...receivedJson(rec), status, reason, httpStatus, stored, ms} for any record and answer', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string(),
          at: fc.string(),
          method: fc.string(),
          path: fc.string(),
          status: fc.constantFrom('accepted', 'rejected', 'duplicate', 'ignored'),
          httpStatus: opt(fc.integer({ min: 100, max: 599 })),
          reason: opt(fc.string()),
          type: opt(fc.string()),
          webhookId: opt(fc.string()),
          scheme: opt(fc.constantFrom('standard', 'legacy')),
          body: opt(fc.string()),
        }),
        fc.integer({ min: 100, max: 599 }),
        opt(fc.string()),
        fc.boolean(),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.boolean(),
        (fields, httpStatus, storeError, stored, ms, refused) => {
          const rec = { kind: 'received', headers: {}, ...fields } as ReceivedRecord;
          for (const k of Object.keys(rec) as (keyof ReceivedRecord)[]) if (rec[k] === undefined) delete rec[k];
          const reason = storeError ?? rec.reason ?? null;
          // The outcome is the record's word, or `unstored` for a request answered 503 because it could not be stored.
          const outcome = refused ? 'unstored' : rec.status;
          const before = JSON.stringify({ ...receivedJson(rec), status: outcome, reason, httpStatus, stored, ms: Math.round(ms * 10) / 10 });
          expect(JSON.stringify(receivedLineJson(rec, { outcome, httpStatus, reason, stored, ms }))).toBe(before);
        },
      ),
      { numRuns: 300 },
    );
  });
});
