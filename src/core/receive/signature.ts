// Both signature schemes: Etsy's Standard Webhooks scheme ("standard") and the seed chapter's X-Etsy-Signature
// ("legacy"). Always over the raw bytes received; comparisons are constant-time.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCHEMES, type Scheme } from '../events/record.js';

export { SCHEMES, type Scheme };

import { DEFAULT_TOLERANCE_SECONDS } from '../defaults.js';

export { DEFAULT_TOLERANCE_SECONDS };
const SECRET_PREFIX = 'whsec_';

export type VerifyReason =
  | 'missing_header'
  | 'malformed_header'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'no_matching_signature'
  | 'unsupported_version'
  | 'bad_secret';

export interface VerifyResult {
  valid: boolean;
  scheme: Scheme | undefined;
  /** webhook-id for the standard scheme. */
  id: string | undefined;
  timestamp: number | undefined;
  reason: VerifyReason | undefined;
  /** One line a human can act on. */
  message: string;
}

/** Lower-case header names; values as Node gives them. */
export type HeaderMap = Record<string, string | string[] | undefined>;

export class SecretFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFormatError';
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** The HMAC key of a standard-scheme secret: `whsec_` removed, base64-decoded (plain base64 accepted too). */
export function decodeStandardSecret(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (b64.length === 0 || !BASE64.test(b64)) {
    throw new SecretFormatError(
      `the secret is not a Standard Webhooks secret (expected whsec_ followed by base64, got ${describeSecretShape(secret)})`,
    );
  }
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new SecretFormatError('the secret decodes to an empty key');
  return key;
}

function describeSecretShape(secret: string): string {
  return `${secret.length} characters${secret.startsWith(SECRET_PREFIX) ? ' starting with whsec_' : ''}`;
}

/** A new signing secret: `whsec_` + 32 random bytes, base64. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

export function isValidSecret(secret: string, scheme: Scheme): boolean {
  if (scheme === 'legacy') return secret.length > 0;
  try {
    decodeStandardSecret(secret);
    return true;
  } catch {
    return false;
  }
}

function toBuffer(body: Uint8Array | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function standardDigest(key: Buffer, id: string, timestamp: number | string, body: Uint8Array | string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(toBuffer(body)).digest();
}

function standardDigestBase64(key: Buffer, id: string, timestamp: string, body: Uint8Array): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

function legacyDigest(key: Buffer, timestamp: number | string, body: Uint8Array | string): Buffer {
  return createHmac('sha256', key).update(`${timestamp}.`).update(toBuffer(body)).digest();
}

/** `v1,<base64>` for the standard scheme. */
export function signStandard(secret: string, id: string, timestamp: number, body: Uint8Array | string): string {
  return `v1,${standardDigest(decodeStandardSecret(secret), id, timestamp, body).toString('base64')}`;
}

/** Lower-case hex for the legacy scheme; the key is the secret's UTF-8 bytes. */
export function signLegacy(secret: string, timestamp: number, body: Uint8Array | string): string {
  return legacyDigest(Buffer.from(secret, 'utf8'), timestamp, body).toString('hex');
}

export function newWebhookId(): string {
  // Standard Webhooks ids look like msg_<base62>; 24 random characters is plenty to be unique.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(24);
  let out = 'msg_';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export interface SignOptions {
  id?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
}

/** The headers to send with `body`, names in the case receivers expect to see in logs. */
export function signatureHeaders(
  scheme: Scheme,
  secret: string,
  body: Uint8Array | string,
  options: SignOptions = {},
): Record<string, string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (scheme === 'legacy') {
    return { 'X-Etsy-Signature': signLegacy(secret, timestamp, body), 'X-Etsy-Timestamp': String(timestamp) };
  }
  const id = options.id ?? newWebhookId();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signStandard(secret, id, timestamp, body),
  };
}

function header(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  if (Array.isArray(v)) return v.join(' ');
  return v;
}

/** Which scheme the headers speak; standard wins when both are present (it is what Etsy sends). */
export function detectScheme(headers: HeaderMap): Scheme | undefined {
  if (headers['webhook-signature'] !== undefined || headers['webhook-id'] !== undefined || headers['webhook-timestamp'] !== undefined) {
    return 'standard';
  }
  if (headers['x-etsy-signature'] !== undefined || headers['x-etsy-timestamp'] !== undefined) return 'legacy';
  return undefined;
}

export interface VerifyOptions {
  /** Force a scheme instead of detecting it from the headers. */
  scheme?: Scheme;
  toleranceSeconds?: number;
  /** Unix seconds; default now. */
  now?: number;
}

function fail(scheme: Scheme | undefined, reason: VerifyReason, message: string, id?: string, timestamp?: number): VerifyResult {
  return { valid: false, scheme, id, timestamp, reason, message };
}

/**
 * A verifier bound to one secret: the key is decoded once, so the receiver's hot path only hashes.
 * Never throws on bad input; a bad secret makes every verification fail with `bad_secret`.
 */
export function createVerifier(secret: string): (body: Uint8Array, headers: HeaderMap, options?: VerifyOptions) => VerifyResult {
  let standardKey: Buffer | undefined;
  let secretProblem: string | undefined;
  try {
    standardKey = decodeStandardSecret(secret);
  } catch (err) {
    secretProblem = (err as Error).message;
  }
  const legacyKey = Buffer.from(secret, 'utf8');

  return (body, headers, options = {}) => {
    const scheme = options.scheme ?? detectScheme(headers);
    const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    const now = options.now ?? Math.floor(Date.now() / 1000);
    if (scheme === undefined) {
      return fail(undefined, 'missing_header', 'missing signature headers: expected webhook-id, webhook-timestamp and webhook-signature (or X-Etsy-Signature and X-Etsy-Timestamp)');
    }
    const names =
      scheme === 'standard'
        ? (['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const)
        : (['x-etsy-timestamp', 'x-etsy-signature'] as const);
    for (const n of names) {
      const v = header(headers, n);
      if (v === undefined || v.trim() === '') return fail(scheme, 'missing_header', `missing header ${n}`);
    }
    const id = scheme === 'standard' ? header(headers, 'webhook-id')!.trim() : undefined;
    const tsRaw = header(headers, scheme === 'standard' ? 'webhook-timestamp' : 'x-etsy-timestamp')!.trim();
    if (!/^\d{1,15}$/.test(tsRaw)) {
      return fail(scheme, 'malformed_header', `malformed timestamp header: '${truncate(tsRaw)}' is not unix seconds`, id);
    }
    const ts = Number(tsRaw);
    if (now - ts > tolerance) {
      return fail(scheme, 'stale_timestamp', `stale timestamp: signed ${now - ts} s ago, more than the ${tolerance} s tolerance`, id, ts);
    }
    if (ts - now > tolerance) {
      return fail(scheme, 'future_timestamp', `timestamp in the future: ${ts - now} s ahead, more than the ${tolerance} s tolerance`, id, ts);
    }

    if (scheme === 'legacy') {
      const sig = header(headers, 'x-etsy-signature')!.trim();
      if (!/^[0-9a-fA-F]{64}$/.test(sig)) {
        return fail(scheme, 'malformed_header', 'malformed X-Etsy-Signature: expected 64 hex characters (HMAC-SHA256)', undefined, ts);
      }
      const expected = legacyDigest(legacyKey, tsRaw, body);
      if (timingSafeEqual(expected, Buffer.from(sig, 'hex'))) {
        return { valid: true, scheme, id: undefined, timestamp: ts, reason: undefined, message: 'valid (legacy)' };
      }
      return fail(scheme, 'no_matching_signature', 'no matching signature: check the secret and that the body is the exact bytes that were signed', undefined, ts);
    }

    if (standardKey === undefined) return fail(scheme, 'bad_secret', secretProblem ?? 'bad secret', id, ts);
    const entries = header(headers, 'webhook-signature')!.trim().split(/\s+/);
    let sawV1 = false;
    let expected: Buffer | undefined;
    for (const entry of entries) {
      const comma = entry.indexOf(',');
      if (comma <= 0) return fail(scheme, 'malformed_header', `malformed webhook-signature entry '${truncate(entry)}': expected <version>,<base64>`, id, ts);
      if (entry.slice(0, comma) !== 'v1') continue;
      sawV1 = true;
      // Compare the base64 text, as the reference library does: decoding first would accept altered signatures
      // (changed padding bits, dropped '=', stray characters) that decode to the same bytes.
      const given = Buffer.from(entry.slice(comma + 1), 'utf8');
      expected ??= Buffer.from(standardDigestBase64(standardKey, id!, tsRaw, body), 'latin1');
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        return { valid: true, scheme, id, timestamp: ts, reason: undefined, message: `valid (standard, id ${id})` };
      }
    }
    if (!sawV1) return fail(scheme, 'unsupported_version', 'unsupported signature version: no v1 entry in webhook-signature', id, ts);
    return fail(scheme, 'no_matching_signature', 'no matching signature: check the secret and that the body is the exact bytes that were signed', id, ts);
  };
}

export function verify(secret: string, body: Uint8Array, headers: HeaderMap, options: VerifyOptions = {}): VerifyResult {
  return createVerifier(secret)(body, headers, options);
}

function truncate(s: string, n = 40): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
