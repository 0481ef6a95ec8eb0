// Signed events for the load generator and stored records for the store benchmarks, built with the project's own
// signing and record code from dist/ (so a record here is exactly what the receiver writes).
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const dist = (p) => new URL(`../../dist/${p}`, import.meta.url).href;
export const { formatRecord } = await import(dist('core/log/records.js'));
export const { signatureHeaders, generateSecret, decodeStandardSecret } = await import(dist('core/receive/signature.js'));

/** A short random tag, so ids never repeat across runs. */
export function runTag() {
  return randomBytes(4).toString('hex');
}

const SHOP = 31415926;

/** The order.paid body of event `i`: fixed length for i < 9e9, so every side gets the same payload size. */
export function orderBody(i, type = 'order.paid') {
  return `{"event_type":"${type}","resource_url":"https://api.etsy.com/v3/application/shops/${SHOP}/receipts/${1_000_000_000 + i}","shop_id":${SHOP}}`;
}

/**
 * A generator of distinct, freshly signed requests for autocannon: `setupClient(client)` makes each of the client's
 * requests a new event (its own webhook-id, the current timestamp, a valid signature) built straight into the raw
 * HTTP bytes. (autocannon's own per-request `setupRequest` path costs the generator ~60% more CPU per request; on a
 * 2-core machine where the generator shares the CPU with the server, that would cap the bare Node figure.)
 * scheme 'standard' → webhook-* headers (etsyhook, bare Node); 'legacy' → X-Etsy-* headers (the seed's Flask app).
 */
export function signedRequests({ host, path, scheme, secret, tag, type = 'order.paid' }) {
  let n = 0;
  const key = scheme === 'standard' ? decodeStandardSecret(secret) : Buffer.from(secret, 'utf8');
  const prefix = `msg_${tag}`;
  const head = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\ncontent-type: application/json\r\n`;
  const build = () => {
    const i = n++;
    const body = orderBody(i, type);
    const ts = Math.floor(Date.now() / 1000);
    let sigHeaders;
    if (scheme === 'standard') {
      const id = `${prefix}${String(i).padStart(10, '0')}`;
      const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
      sigHeaders = `webhook-id: ${id}\r\nwebhook-timestamp: ${ts}\r\nwebhook-signature: v1,${sig}\r\n`;
    } else {
      const sig = createHmac('sha256', key).update(`${ts}.${body}`).digest('hex');
      sigHeaders = `X-Etsy-Signature: ${sig}\r\nX-Etsy-Timestamp: ${ts}\r\n`;
    }
    return Buffer.from(`${head}${sigHeaders}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'latin1');
  };
  return {
    count: () => n,
    /** For autocannon's `setupClient`: every request this client writes is a new signed event. */
    setupClient(client) {
      client.getRequestBuffer = build;
    },
    /** The static request autocannon is told about (same method, path and body size); never sent as such. */
    request: { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: orderBody(0) },
  };
}

const TYPES = ['order.paid', 'order.canceled', 'order.shipped', 'order.delivered', 'listing.created', 'listing.updated',
  'listing.deleted', 'listing.activated', 'listing.deactivated', 'receipt.created', 'receipt.updated'];

/** A received record as the receiver stores it, correctly signed. */
export function receivedRecord({ i, tag, secret, atMs, type = 'order.paid', idPrefix = 'evt_', forwardTo }) {
  const body = orderBody(i, type);
  const webhookId = `msg_${tag}${String(i).padStart(10, '0')}`;
  const ts = Math.floor(atMs / 1000);
  const sig = signatureHeaders('standard', secret, body, { id: webhookId, timestamp: ts });
  const rec = {
    kind: 'received',
    id: `${idPrefix}${tag}${i.toString(36).padStart(12, '0')}`,
    at: new Date(atMs).toISOString(),
    method: 'POST',
    path: '/webhook',
    headers: {
      host: '127.0.0.1:5000',
      'user-agent': 'Etsy-Webhooks/1.0',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...sig,
    },
    body,
    status: 'accepted',
    type,
    webhookId,
    scheme: 'standard',
    remote: '127.0.0.1',
  };
  if (forwardTo) rec.forwardTo = forwardTo;
  return rec;
}

/**
 * Write `count` records to `file` (appending), types cycling through Etsy's and the seed's types except those in
 * `skipTypes`, timestamps from `fromMs` to `toMs`. Every 10th event also gets a delivered attempt.
 */
export function writeStore(file, { count, tag, secret, fromMs, toMs, types = TYPES, idPrefix = 'evt_', forwardTo, deliveries = true }) {
  const fd = openSync(file, 'a', 0o600);
  let parts = [];
  let size = 0;
  const flush = () => {
    const buf = Buffer.from(parts.join(''), 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off);
    parts = [];
    size = 0;
  };
  try {
    const span = toMs - fromMs;
    for (let i = 0; i < count; i++) {
      const atMs = fromMs + Math.floor((span * i) / Math.max(1, count - 1));
      const type = types[i % types.length];
      const rec = receivedRecord({ i, tag, secret, atMs, type, idPrefix, forwardTo });
      const line = formatRecord(rec);
      parts.push(line);
      size += line.length;
      if (deliveries && i % 10 === 0) {
        const d = formatRecord({ kind: 'delivery', id: rec.id, at: new Date(atMs + 5).toISOString(), target: 'http://127.0.0.1:3000/webhook', attempt: 1, httpStatus: 200, ms: 3, status: 'delivered', response: { body: '{"ok":true}' } });
        parts.push(d);
        size += d.length;
      }
      if (size > 8 << 20) flush();
    }
    if (parts.length) flush();
  } finally {
    closeSync(fd);
  }
}

export const storeFile = (home) => join(home, 'events', 'events.ndjson');
