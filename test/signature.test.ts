import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createVerifier, decodeStandardSecret, generateSecret, signatureHeaders, signLegacy, signStandard, verify } from '../src/core/receive/signature.js';

const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('standard scheme', () => {
  it('reproduces the public Standard Webhooks test vector', () => {
    expect(signStandard(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verifies the test vector at its own time and rejects it as stale later', () => {
    const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
    const body = Buffer.from(VECTOR.body);
    expect(verify(VECTOR.secret, body, headers, { now: VECTOR.timestamp + 10 })).toMatchObject({ valid: true, scheme: 'standard', id: VECTOR.id });
    expect(verify(VECTOR.secret, body, headers, { now: VECTOR.timestamp + 301 })).toMatchObject({ valid: false, reason: 'stale_timestamp' });
    expect(verify(VECTOR.secret, body, headers, { now: VECTOR.timestamp - 301 })).toMatchObject({ valid: false, reason: 'future_timestamp' });
  });

  it('accepts plain base64 secrets like the reference library', () => {
    const plain = VECTOR.secret.slice('whsec_'.length);
    expect(signStandard(plain, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('rejects a secret that is not base64', () => {
    expect(() => decodeStandardSecret('whsec_not base64!')).toThrow(/not a Standard Webhooks secret/);
    const v = createVerifier('whsec_***');
    const headers = signatureHeaders('standard', generateSecret(), '{}');
    expect(v(Buffer.from('{}'), lower(headers)).reason).toBe('bad_secret');
  });

  it('signs what the reference library verifies, and verifies what it signs', () => {
    const secret = generateSecret();
    const body = '{"event_type":"order.paid","note":"ünïcødé \\\\ \\" ","a" : 1}';
    const headers = signatureHeaders('standard', secret, body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(body, headers)).not.toThrow();

    const id = 'msg_ref';
    const ts = new Date();
    const sig = wh.sign(id, ts, body);
    const res = verify(secret, Buffer.from(body), { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)), 'webhook-signature': sig });
    expect(res.valid).toBe(true);
  });

  it('accepts any one matching signature among several, ignoring other versions', () => {
    const secret = generateSecret();
    const headers = lower(signatureHeaders('standard', secret, 'x'));
    headers['webhook-signature'] = `v1a,abc v1,AAAA ${headers['webhook-signature']}`;
    expect(verify(secret, Buffer.from('x'), headers).valid).toBe(true);
  });

  it('names the reason for each kind of bad header', () => {
    const secret = generateSecret();
    const body = Buffer.from('{"a":1}');
    const good = lower(signatureHeaders('standard', secret, body));
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing_header'],
      [{ ...good, 'webhook-id': '' }, 'missing_header'],
      [{ ...good, 'webhook-timestamp': 'yesterday' }, 'malformed_header'],
      [{ ...good, 'webhook-signature': 'garbage' }, 'malformed_header'],
      [{ ...good, 'webhook-signature': 'v1a,abcd' }, 'unsupported_version'],
      [{ ...good, 'webhook-signature': 'v1,AAAA' }, 'no_matching_signature'],
    ];
    for (const [headers, reason] of cases) expect(verify(secret, body, headers).reason, JSON.stringify(headers)).toBe(reason);
  });
});

describe('legacy scheme', () => {
  it('is HMAC-SHA256 hex over "timestamp.body" with the secret as UTF-8', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', 'my secret').update('1700000000.{"x":1}').digest('hex');
    expect(signLegacy('my secret', 1700000000, '{"x":1}')).toBe(expected);
  });

  it('verifies its own signatures and rejects a wrong secret', () => {
    const body = Buffer.from('{"event_type":"listing.created"}');
    const headers = lower(signatureHeaders('legacy', 's3cret', body));
    expect(verify('s3cret', body, headers)).toMatchObject({ valid: true, scheme: 'legacy' });
    expect(verify('other', body, headers)).toMatchObject({ valid: false, reason: 'no_matching_signature' });
  });
});

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
