// Property tests of the signing core: verify(sign(x)) holds for any body, id, timestamp and secret, and any one-byte
// change to the body, the id, the timestamp or the signature makes verification fail.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { signatureHeaders, verify, type HeaderMap } from '../src/core/receive/signature.js';

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.';
const HEX = '0123456789abcdef';
const BASE64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const body = fc.uint8Array({ maxLength: 2048 });
const nonEmptyBody = fc.uint8Array({ minLength: 1, maxLength: 2048 });
const id = fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 64 });
// Unix seconds from 1970 to 2100.
const timestamp = fc.integer({ min: 0, max: 4_102_444_800 });
const standardSecret = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((k) => `whsec_${Buffer.from(k).toString('base64')}`);
const legacySecret = fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' });

function lower(h: Record<string, string>): HeaderMap {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Replace the character at `i` with a different one from `alphabet`. */
function changeChar(s: string, i: number, alphabet: string, pick: number): string {
  const at = i % s.length;
  const others = alphabet.replace(s[at]!, '');
  return s.slice(0, at) + others[pick % others.length]! + s.slice(at + 1);
}

const RUNS = { numRuns: 300 };

describe('standard scheme properties', () => {
  it('verify(sign(x)) holds', () => {
    fc.assert(
      fc.property(body, id, timestamp, standardSecret, (b, i, t, s) => {
        const h = signatureHeaders('standard', s, b, { id: i, timestamp: t });
        expect(verify(s, b, h, { now: t })).toMatchObject({ valid: true, scheme: 'standard', id: i, timestamp: t });
      }),
      RUNS,
    );
  });

  it('signs exactly as the reference library does (text bodies: it decodes Buffers as UTF-8)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 500 }), id, timestamp, standardSecret, (text, i, t, s) => {
        const h = signatureHeaders('standard', s, text, { id: i, timestamp: t });
        expect(new Webhook(s).sign(i, new Date(t * 1000), text)).toBe(h['webhook-signature']);
      }),
      RUNS,
    );
  });

  it('fails after any one-byte change to the body', () => {
    fc.assert(
      fc.property(nonEmptyBody, id, timestamp, standardSecret, fc.nat(), fc.integer({ min: 1, max: 255 }), (b, i, t, s, pos, xor) => {
        const h = signatureHeaders('standard', s, b, { id: i, timestamp: t });
        const changed = Uint8Array.from(b);
        const at = pos % changed.length;
        changed[at] = changed[at]! ^ xor;
        expect(verify(s, changed, h, { now: t })).toMatchObject({ valid: false, reason: 'no_matching_signature' });
      }),
      RUNS,
    );
  });

  it('fails after any one-byte change to the id', () => {
    fc.assert(
      fc.property(body, id, timestamp, standardSecret, fc.nat(), fc.nat(), (b, i, t, s, pos, pick) => {
        const h = signatureHeaders('standard', s, b, { id: i, timestamp: t });
        const forged = { ...h, 'webhook-id': changeChar(i, pos, ID_CHARS, pick) };
        expect(verify(s, b, forged, { now: t })).toMatchObject({ valid: false, reason: 'no_matching_signature' });
      }),
      RUNS,
    );
  });

  it('fails after any one-byte change to the timestamp, even within the tolerance', () => {
    fc.assert(
      fc.property(body, id, fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }), standardSecret, fc.nat(), fc.nat(), (b, i, t, s, pos, pick) => {
        const h = signatureHeaders('standard', s, b, { id: i, timestamp: t });
        const ts = changeChar(String(t), pos, '0123456789', pick);
        const forged = { ...h, 'webhook-timestamp': ts };
        // Judge it at its own claimed time, so only the signature can reject it.
        expect(verify(s, b, forged, { now: Number(ts) })).toMatchObject({ valid: false, reason: 'no_matching_signature' });
      }),
      RUNS,
    );
  });

  it('fails after any one-character change to the signature', () => {
    fc.assert(
      fc.property(body, id, timestamp, standardSecret, fc.nat(), fc.nat(), (b, i, t, s, pos, pick) => {
        const h = signatureHeaders('standard', s, b, { id: i, timestamp: t });
        const sig = h['webhook-signature']!.slice('v1,'.length);
        // Change one of the 43 base64 characters before the padding.
        const changed = changeChar(sig.slice(0, 43), pos, BASE64_CHARS, pick) + sig.slice(43);
        const forged = { ...h, 'webhook-signature': `v1,${changed}` };
        expect(verify(s, b, forged, { now: t }).valid).toBe(false);
      }),
      RUNS,
    );
  });

  it('rejects a signature that only decodes to the right bytes (padding bits, missing =, stray characters)', () => {
    fc.assert(
      fc.property(body, id, timestamp, standardSecret, fc.integer({ min: 1, max: 3 }), (b, i, t, s, lowBits) => {
        const h = signatureHeaders('standard', s, b, { id: i, timestamp: t });
        const sig = h['webhook-signature']!.slice('v1,'.length);
        // The last character before '=' carries 2 unused bits: flipping them gives different text, the same bytes.
        const last = BASE64_CHARS[BASE64_CHARS.indexOf(sig[42]!) ^ lowBits]!;
        for (const variant of [`${sig.slice(0, 42)}${last}=`, sig.slice(0, 43), `${sig.slice(0, 10)}!${sig.slice(10)}`]) {
          expect(Buffer.from(variant, 'base64').equals(Buffer.from(sig, 'base64'))).toBe(true);
          expect(verify(s, b, { ...h, 'webhook-signature': `v1,${variant}` }, { now: t }).reason).toBe('no_matching_signature');
        }
      }),
      { numRuns: 50 },
    );
  });

  it('fails with a different secret', () => {
    fc.assert(
      fc.property(body, id, timestamp, standardSecret, standardSecret, (b, i, t, s1, s2) => {
        fc.pre(s1 !== s2);
        const h = signatureHeaders('standard', s1, b, { id: i, timestamp: t });
        expect(verify(s2, b, h, { now: t }).valid).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('legacy scheme properties', () => {
  it('verify(sign(x)) holds', () => {
    fc.assert(
      fc.property(body, timestamp, legacySecret, (b, t, s) => {
        const h = lower(signatureHeaders('legacy', s, b, { timestamp: t }));
        expect(verify(s, b, h, { now: t })).toMatchObject({ valid: true, scheme: 'legacy', timestamp: t });
      }),
      RUNS,
    );
  });

  it('fails after any one-byte change to the body, the timestamp or the signature', () => {
    fc.assert(
      fc.property(nonEmptyBody, fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }), legacySecret, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (b, t, s, pos, pick, xor) => {
        const h = lower(signatureHeaders('legacy', s, b, { timestamp: t }));
        const changed = Uint8Array.from(b);
        const at = pos % changed.length;
        changed[at] = changed[at]! ^ xor;
        expect(verify(s, changed, h, { now: t }).reason).toBe('no_matching_signature');

        const ts = changeChar(String(t), pos, '0123456789', pick);
        expect(verify(s, b, { ...h, 'x-etsy-timestamp': ts }, { now: Number(ts) }).reason).toBe('no_matching_signature');

        const sig = changeChar(h['x-etsy-signature'] as string, pos, HEX, pick);
        expect(verify(s, b, { ...h, 'x-etsy-signature': sig }, { now: t }).valid).toBe(false);
      }),
      RUNS,
    );
  });
});
