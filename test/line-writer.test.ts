// LineWriter batches lines (serve's one NDJSON line per request, dev's lines) into buffers it encodes as they come:
// whatever the lines (multi-byte text, lines longer than a batch), the stream gets exactly the lines in order, each
// with its newline, in few writes; a batch handed to a stream that keeps it is never written over.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineWriter } from '../src/ui/output.js';

/** A stream that keeps every chunk as given (no copy), as a slow pipe's queue does. */
function keeper(): Writable & { chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  }) as Writable & { chunks: Buffer[] };
  w.chunks = chunks;
  return w;
}

describe('LineWriter', () => {
  it('writes every line once, in order, with its newline, whatever its length and characters', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 30_000 })), { maxLength: 60 }), (lines) => {
        const s = keeper();
        const w = new LineWriter(s);
        for (const l of lines) w.write(l);
        w.flush();
        expect(Buffer.concat(s.chunks).toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
      }),
      { numRuns: 100 },
    );
  });

  it('batches: thousands of request lines go out in a few writes of up to 64 KiB', () => {
    const s = keeper();
    const w = new LineWriter(s);
    const line = JSON.stringify({ kind: 'received', id: 'evt_0123456789abcdef', note: 'crème brûlée ☕ 𝄞' });
    for (let i = 0; i < 5_000; i++) w.write(line);
    w.flush();
    const bytes = 5_000 * (Buffer.byteLength(line) + 1);
    expect(Buffer.concat(s.chunks).length).toBe(bytes);
    expect(s.chunks.length).toBeLessThanOrEqual(Math.ceil(bytes / (60 * 1024)) + 1);
    for (const c of s.chunks) expect(c.length).toBeLessThanOrEqual(64 * 1024);
  });
});
