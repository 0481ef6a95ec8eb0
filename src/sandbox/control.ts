// The control API under /_sandbox/…: what a buyer and the carrier do (order, pay, ship, deliver, cancel), new
// listings and a reset, for the CLI's control commands and for tests in any language. Answers are the API's JSON.
import type { SandboxCore } from './api.js';
import { bodyOf, json, type Answer, type Request } from './http.js';
import { check, controlListing, controlOrder, controlShip } from './schemas.js';
import { ApiFailure, type Entry } from './state.js';

export async function control(core: SandboxCore, req: Request): Promise<Answer> {
  const path = req.url.pathname;
  if (req.method !== 'POST') throw new ApiFailure(405, `${req.method} is not allowed on ${path}; the control API takes POST`);
  const s = core.state;
  if (path === '/_sandbox/orders') {
    const q = check(controlOrder, bodyOf(req));
    const entry = s.createOrders(q.listing_id, q.quantity, q.count);
    await core.commit(entry);
    const ids = entry.receipts!.map((r) => r.receipt.receipt_id);
    if (q.pay) for (const id of ids) await core.commit(s.pay(id, core.runWebhooks));
    const receipts = ids.map((id) => s.receipt(id).receipt);
    return q.count === 1 ? json(201, receipts[0]) : json(201, { count: receipts.length, results: receipts });
  }
  const step = /^\/_sandbox\/receipts\/(\d+)\/(pay|ship|deliver|cancel)$/.exec(path);
  if (step) {
    const id = Number(step[1]);
    let entry: Entry;
    if (step[2] === 'pay') entry = s.pay(id, core.runWebhooks);
    else if (step[2] === 'deliver') entry = s.deliver(id, core.runWebhooks);
    else if (step[2] === 'cancel') entry = s.cancel(id, core.runWebhooks);
    else {
      const q = check(controlShip, bodyOf(req));
      const tracking = { ...(q.tracking_code === undefined ? {} : { tracking_code: q.tracking_code }), ...(q.carrier_name === undefined ? {} : { carrier_name: q.carrier_name }) };
      entry = s.ship(id, tracking, core.runWebhooks);
    }
    await core.commit(entry);
    return json(200, s.receipt(id).receipt);
  }
  if (path === '/_sandbox/listings') {
    const q = check(controlListing, bodyOf(req));
    const entry = s.createListing({ title: q.title, price: Math.round(q.price * 100), quantity: q.quantity, state: q.quantity > 0 ? 'active' : 'sold_out', ...(q.description === undefined ? {} : { description: q.description }) });
    await core.commit(entry);
    return json(201, entry.listings![0]);
  }
  if (path === '/_sandbox/reset') {
    await core.commit(s.seed(s.app, true));
    return json(200, { shop_id: s.app.shopId, count: s.listings.size, results: [...s.listings.values()] });
  }
  throw new ApiFailure(404, `No control operation at ${path}`);
}

/** The Host header must name this server (DNS rebinding), and a browser's Origin must be its own. */
export function checkHost(req: Request, allowed: ReadonlySet<string>): void {
  const host = String(req.headers.host ?? '').toLowerCase();
  if (!allowed.has(host)) throw new ApiFailure(403, `refused: the Host header must name this sandbox, got '${req.headers.host ?? ''}'`);
  const origin = req.headers.origin;
  if (origin !== undefined && !(origin.startsWith('http://') && allowed.has(origin.slice('http://'.length).toLowerCase()))) {
    throw new ApiFailure(403, `refused: a request from ${origin}`);
  }
}
