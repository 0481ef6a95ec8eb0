// The floor for replay on this machine: a bare undici client sending N distinct POSTs (the order.paid body, signed-looking
// headers) to URL, CONCURRENCY at a time, and nothing else (no start-up of a CLI, no store, no output).
//   node undici-loop.mjs URL N CONCURRENCY   prints "rate <requests/s>" once every request got a 2xx
import { Agent } from 'undici';
import { orderBody } from './events.mjs';

const [url, n, c] = process.argv.slice(2);
const N = Number(n);
const agent = new Agent({ connections: Number(c) });
const { origin, pathname } = new URL(url);
let next = 0;
let failed = 0;
const started = performance.now();
async function worker() {
  while (next < N) {
    const i = next++;
    const body = orderBody(i);
    const res = await agent.request({
      origin,
      path: pathname,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'webhook-id': `msg_loop${i}`, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
    });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode >= 300) failed++;
  }
}
await Promise.all(Array.from({ length: Number(c) }, worker));
const rate = N / ((performance.now() - started) / 1000);
await agent.close();
if (failed > 0) {
  process.stderr.write(`${failed} of ${N} requests were not answered with a 2xx\n`);
  process.exit(1);
}
process.stdout.write(`rate ${rate.toFixed(1)}\n`);
