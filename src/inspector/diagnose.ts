// Why a signature did (not) verify, told to a person: the header at fault, how stale the timestamp was, and the
// signature the stored secret gives next to the ones received. Computed here, so the secret never leaves the server.
import { bodyBytes, type ReceivedRecord } from '../core/log/records.js';
import { DEFAULT_TOLERANCE_SECONDS } from '../core/defaults.js';
import {
  detectScheme,
  isValidSecret,
  signLegacy,
  signStandard,
  verify,
  type Scheme,
  type VerifyReason,
} from '../core/receive/signature.js';

export interface SignatureDiagnosis {
  scheme: Scheme | null;
  /** Verified again now with the secret in use, as at the time the request arrived. */
  valid: boolean;
  reason: VerifyReason | null;
  message: string;
  /** The header the problem is in, when one is. */
  header: string | null;
  /** Unix seconds the request claims it was signed at. */
  timestamp: number | null;
  /** Seconds between signing and arrival (negative: signed in the future). */
  ageAtArrival: number | null;
  /** How far past the tolerance the timestamp was, in seconds (stale or ahead). */
  staleBySeconds: number | null;
  toleranceSeconds: number;
  /** The signatures the request carried. */
  received: string[];
  /** The signature the secret in use gives for these bytes, id and timestamp; null without a usable secret. */
  expected: string | null;
  /** Why there is no expected signature. */
  expectedNote: string | null;
}

const HEADER_OF: Partial<Record<VerifyReason, (scheme: Scheme) => string>> = {
  stale_timestamp: (s) => (s === 'standard' ? 'webhook-timestamp' : 'x-etsy-timestamp'),
  future_timestamp: (s) => (s === 'standard' ? 'webhook-timestamp' : 'x-etsy-timestamp'),
  no_matching_signature: (s) => (s === 'standard' ? 'webhook-signature' : 'x-etsy-signature'),
  unsupported_version: () => 'webhook-signature',
};

/** Undefined for a request that carried no signature headers at all and was not rejected for it. */
export function diagnoseSignature(
  record: ReceivedRecord,
  secret: string | undefined,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureDiagnosis | undefined {
  const h = record.headers;
  const scheme = record.scheme ?? detectScheme(h) ?? null;
  if (scheme === null && record.status !== 'rejected') return undefined;
  const body = bodyBytes(record);
  const arrived = Math.floor(Date.parse(record.at) / 1000);
  const tsRaw = scheme === 'legacy' ? h['x-etsy-timestamp'] : h['webhook-timestamp'];
  const timestamp = tsRaw !== undefined && /^\d{1,15}$/.test(tsRaw.trim()) ? Number(tsRaw.trim()) : null;
  const ageAtArrival = timestamp === null || !Number.isFinite(arrived) ? null : arrived - timestamp;
  const staleBySeconds = ageAtArrival === null || Math.abs(ageAtArrival) <= toleranceSeconds ? null : Math.abs(ageAtArrival) - toleranceSeconds;
  const received =
    scheme === 'legacy'
      ? [h['x-etsy-signature']?.trim()].filter((s): s is string => s !== undefined && s !== '')
      : (h['webhook-signature'] ?? '').trim().split(/\s+/).filter((s) => s !== '');

  let expected: string | null = null;
  let expectedNote: string | null = null;
  if (secret === undefined) expectedNote = 'no signing secret is configured (--secret, ETSY_WEBHOOK_SECRET or the stored one)';
  else if (scheme === null) expectedNote = 'the request carried no signature headers';
  else if (timestamp === null) expectedNote = 'the timestamp header is missing or not unix seconds';
  else if (scheme === 'legacy') expected = signLegacy(secret, timestamp, body);
  else if (!isValidSecret(secret, 'standard')) expectedNote = 'the secret in use is not a Standard Webhooks secret (whsec_…)';
  else if ((h['webhook-id'] ?? '').trim() === '') expectedNote = 'the webhook-id header is missing';
  else expected = signStandard(secret, h['webhook-id']!.trim(), timestamp, body);

  let valid = false;
  let reason: VerifyReason | null = record.status === 'rejected' && scheme === null ? 'missing_header' : null;
  let message = record.reason ?? '';
  if (secret !== undefined) {
    const result = verify(secret, body, h, { toleranceSeconds, ...(Number.isFinite(arrived) ? { now: arrived } : {}), ...(scheme ? { scheme } : {}) });
    valid = result.valid;
    reason = result.reason ?? null;
    message = result.message;
  }
  let header: string | null = null;
  if (reason !== null && scheme !== null) {
    header = HEADER_OF[reason]?.(scheme) ?? /\b(webhook-[a-z]+|x-etsy-[a-z]+|X-Etsy-[A-Za-z]+)\b/.exec(message)?.[1]?.toLowerCase() ?? null;
  }
  return { scheme, valid, reason, message, header, timestamp, ageAtArrival, staleBySeconds, toleranceSeconds, received, expected, expectedNote };
}
