// The request `etsyhook send` makes, and nothing else: one signed order.paid POSTed with node:http, the answer read.
// Its time minus `node -e 0`'s is what the request itself costs, the floor for `send`.
//   node one-request.mjs URL SECRET
import { createHmac, randomBytes } from 'node:crypto';
import { request } from 'node:http';

const [url, secret] = process.argv.slice(2);
const body = `{"event_type":"order.paid","resource_url":"https://api.etsy.com/v3/application/shops/12345678/receipts/1234567890","shop_id":12345678}`;
const id = `msg_${randomBytes(12).toString('hex')}`;
const ts = Math.floor(Date.now() / 1000);
const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
const req = request(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}`, 'content-length': Buffer.byteLength(body) },
});
req.on('response', (res) => {
  res.resume();
  res.on('end', () => process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1));
});
req.on('error', (err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
req.end(body);
