// Signed requests, computed here with node:crypto rather than with the code under test; the test secret lives here.
import { createHmac, randomBytes } from 'node:crypto';

/** The one signing secret the tests share (Standard Webhooks form). */
export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A fresh secret of the same form, for tests that must not share one. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

let seq = 0;
/** A webhook-id no other request of this run carries. */
export function uniqueId(prefix = 'msg_test'): string {
  seq++;
  return `${prefix}${process.pid.toString(36)}x${Date.now().toString(36)}x${seq.toString(36).padStart(5, '0')}`;
}

/** An Etsy-style order event body with a receipt number no other body of this run has. */
export function orderBody(type = 'order.paid', extra = ''): string {
  const receipt = 3_000_000_000 + ++seq;
  return `{"event_type":"${type}","resource_url":"https://api.etsy.com/v3/application/shops/12345678/receipts/${receipt}","shop_id":12345678${extra}}`;
}

export function standardSignature(secret: string, id: string, ts: number | string, body: Buffer | string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64')}`;
}

export function legacySignature(secret: string, ts: number | string, body: Buffer | string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${ts}.`).update(body).digest('hex');
}

/** Standard-scheme headers (and content-type) for `body`. */
export function signHeaders(secret: string, body: Buffer | string, options: { id?: string; ts?: number | string } = {}): Record<string, string> {
  const id = options.id ?? uniqueId();
  const ts = options.ts ?? nowSeconds();
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': standardSignature(secret, id, ts, body) };
}

export interface SignedEvent {
  body: Buffer;
  headers: Record<string, string>;
  id: string;
}

/** A correctly signed event (order.paid unless `type` or `body` says otherwise), standard scheme unless `legacy`. */
export function signed(
  options: { type?: string; body?: Buffer | string; id?: string; timestamp?: number; secret?: string; scheme?: 'standard' | 'legacy' } = {},
): SignedEvent {
  const body = Buffer.from(options.body ?? orderBody(options.type));
  const id = options.id ?? uniqueId();
  const ts = options.timestamp ?? nowSeconds();
  const secret = options.secret ?? SECRET;
  if (options.scheme === 'legacy') {
    return { body, id, headers: { 'content-type': 'application/json', 'x-etsy-signature': legacySignature(secret, ts, body), 'x-etsy-timestamp': String(ts) } };
  }
  return { body, id, headers: signHeaders(secret, body, { id, ts }) };
}
