// Etsy's Open API v3 operations the sandbox answers, with their paths, methods and OAuth scopes as the reference
// defines them, and the push-configuration paths `etsyhook configs` uses (a sandbox extension).
import { bodyOf, json, queryOf, type Answer, type Request } from './http.js';
import { check, descending, draftListing, inventoryUpdate, listingQuery, listingsQuery, listingUpdate, pagination, pushConfig, receiptsQuery, shipment, tokenScopesForm, updateReceipt } from './schemas.js';
import { ApiFailure, type Entry, type SandboxState } from './state.js';
import { money, nowSeconds, type Inventory, type Listing, type Receipt, type ReceiptRow } from './model.js';

export interface SandboxCore {
  state: SandboxState;
  runWebhooks: readonly string[];
  /** Apply a change and log it durably (with the webhooks it fires) before the answer. */
  commit(entry: Entry): Promise<void>;
}

export interface Route {
  method: string;
  pattern: RegExp;
  /** The OAuth scope the operation needs; undefined: the API key alone. */
  scope?: string;
  handle: (core: SandboxCore, params: string[], req: Request, userId: number | undefined) => Answer | Promise<Answer>;
}

const SHOP = '/v3/application/shops/(\\d+)';

export const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/v3\/application\/openapi-ping$/, handle: () => json(200, { application_id: 1 }) },
  { method: 'POST', pattern: /^\/v3\/application\/scopes$/, handle: tokenScopes },
  { method: 'GET', pattern: /^\/v3\/application\/users\/me$/, scope: 'shops_r', handle: (c, _p, _r, userId) => json(200, { user_id: userId, shop_id: c.state.app.shopId }) },
  { method: 'GET', pattern: /^\/v3\/application\/users\/(\d+)\/shops$/, handle: (c, [u]) => (Number(u) === c.state.app.userId ? json(200, c.state.shop) : fail(404, `User ${u} has no shop`)) },
  { method: 'GET', pattern: re(`${SHOP}`), handle: (c, [s]) => json(200, shopOf(c, s!)) },
  { method: 'GET', pattern: re(`${SHOP}/receipts`), scope: 'transactions_r', handle: listReceipts },
  { method: 'GET', pattern: re(`${SHOP}/receipts/(\\d+)`), scope: 'transactions_r', handle: (c, [s, r]) => ({ status: 200, raw: receiptJson(receiptOf(c, s!, r!).receipt) }) },
  { method: 'PUT', pattern: re(`${SHOP}/receipts/(\\d+)`), scope: 'transactions_w', handle: updateShopReceipt },
  { method: 'POST', pattern: re(`${SHOP}/receipts/(\\d+)/tracking`), scope: 'transactions_w', handle: createReceiptShipment },
  { method: 'GET', pattern: re(`${SHOP}/receipts/(\\d+)/transactions`), scope: 'transactions_r', handle: (c, [s, r]) => page(receiptOf(c, s!, r!).receipt.transactions) },
  { method: 'GET', pattern: re(`${SHOP}/listings`), handle: listListings },
  { method: 'POST', pattern: re(`${SHOP}/listings`), scope: 'listings_w', handle: createDraftListing },
  { method: 'PATCH', pattern: re(`${SHOP}/listings/(\\d+)`), scope: 'listings_w', handle: updateListing },
  { method: 'GET', pattern: /^\/v3\/application\/listings\/(\d+)$/, handle: (c, [l], req) => json(200, withIncludes(c, c.state.listing(Number(l)), check(listingQuery, queryOf(req.url)).includes)) },
  { method: 'DELETE', pattern: /^\/v3\/application\/listings\/(\d+)$/, scope: 'listings_d', handle: deleteListing },
  { method: 'GET', pattern: /^\/v3\/application\/listings\/(\d+)\/inventory$/, scope: 'listings_r', handle: (c, [l]) => json(200, inventoryOf(c, Number(l))) },
  { method: 'PUT', pattern: /^\/v3\/application\/listings\/(\d+)\/inventory$/, scope: 'listings_w', handle: updateListingInventory },
  { method: 'GET', pattern: re(`${SHOP}/push-configurations`), scope: 'shops_r', handle: listConfigs },
  { method: 'POST', pattern: re(`${SHOP}/push-configurations`), scope: 'shops_w', handle: createConfig },
  { method: 'DELETE', pattern: re(`${SHOP}/push-configurations/(\\d+)`), scope: 'shops_w', handle: deleteConfig },
];

function re(path: string): RegExp {
  return new RegExp(`^${path}$`);
}

function fail(status: number, message: string): never {
  throw new ApiFailure(status, message);
}

function page<T>(all: readonly T[], offset = 0, limit = all.length): Answer {
  return json(200, { count: all.length, results: all.slice(offset, offset + limit) });
}

/** A receipt's JSON, encoded once: every change makes a new receipt object, so the cache never goes stale. */
const encoded = new WeakMap<Receipt, string>();
function receiptJson(r: Receipt): string {
  let text = encoded.get(r);
  if (text === undefined) {
    text = JSON.stringify(r);
    encoded.set(r, text);
  }
  return text;
}

function shopOf(c: SandboxCore, shopId: string): typeof c.state.shop {
  if (Number(shopId) !== c.state.app.shopId) fail(404, `Shop with shop_id ${shopId} not found`);
  return c.state.shop;
}

function receiptOf(c: SandboxCore, shopId: string, receiptId: string): ReceiptRow {
  shopOf(c, shopId);
  return c.state.receipt(Number(receiptId));
}

function tokenScopes(c: SandboxCore, _p: string[], req: Request): Answer {
  const { token } = check(tokenScopesForm, bodyOf(req));
  const grant = c.state.tokens.get(token);
  if (!grant || grant.kind !== 'access') fail(400, 'Invalid value for token: not a token of this application');
  return json(200, { scopes: grant.scopes });
}

function listReceipts(c: SandboxCore, [s]: string[], req: Request): Answer {
  shopOf(c, s!);
  const q = check(receiptsQuery, queryOf(req.url));
  const rows: Receipt[] = [];
  for (const id of c.state.receiptOrder) {
    const row = c.state.receipts.get(id)!;
    const r = row.receipt;
    if (q.was_paid !== undefined && r.is_paid !== q.was_paid) continue;
    if (q.was_shipped !== undefined && r.is_shipped !== q.was_shipped) continue;
    if (q.was_delivered !== undefined && row.delivered !== q.was_delivered) continue;
    if (q.was_canceled !== undefined && (r.status === 'canceled') !== q.was_canceled) continue;
    if (q.min_created !== undefined && r.created_timestamp < q.min_created) continue;
    if (q.max_created !== undefined && r.created_timestamp > q.max_created) continue;
    if (q.min_last_modified !== undefined && r.updated_timestamp < q.min_last_modified) continue;
    if (q.max_last_modified !== undefined && r.updated_timestamp > q.max_last_modified) continue;
    rows.push(r);
  }
  // Receipts are kept in creation order (ids and created timestamps both rise): only `updated` needs a sort.
  if (q.sort_on === 'updated') rows.sort((a, b) => a.updated_timestamp - b.updated_timestamp || a.receipt_id - b.receipt_id);
  if (descending(q.sort_order)) rows.reverse();
  const results = rows.slice(q.offset, q.offset + q.limit).map(receiptJson);
  return { status: 200, raw: `{"count":${rows.length},"results":[${results.join(',')}]}` };
}

/** updateShopReceipt: was_paid=true pays, was_shipped=true ships; a step already taken is a 400 naming it. */
async function updateShopReceipt(c: SandboxCore, [s, r]: string[], req: Request): Promise<Answer> {
  const row = receiptOf(c, s!, r!);
  const q = check(updateReceipt, bodyOf(req));
  const id = row.receipt.receipt_id;
  if (q.was_paid !== undefined && q.was_paid !== row.receipt.is_paid) {
    if (!q.was_paid) fail(400, `Invalid value for was_paid: receipt ${id} is paid and cannot be unpaid`);
    await c.commit(c.state.pay(id, c.runWebhooks));
  } else if (q.was_paid === true) fail(400, `Invalid value for was_paid: receipt ${id} is already paid`);
  const now = c.state.receipt(id).receipt;
  if (q.was_shipped !== undefined && q.was_shipped !== now.is_shipped) {
    if (!q.was_shipped) fail(400, `Invalid value for was_shipped: receipt ${id} is shipped and cannot be unshipped`);
    await c.commit(c.state.ship(id, {}, c.runWebhooks));
  } else if (q.was_shipped === true) fail(400, `Invalid value for was_shipped: receipt ${id} is already shipped`);
  return json(200, c.state.receipt(id).receipt);
}

async function createReceiptShipment(c: SandboxCore, [s, r]: string[], req: Request): Promise<Answer> {
  const row = receiptOf(c, s!, r!);
  const q = check(shipment, bodyOf(req));
  const tracking = { ...(q.tracking_code === undefined ? {} : { tracking_code: q.tracking_code }), ...(q.carrier_name === undefined ? {} : { carrier_name: q.carrier_name }) };
  await c.commit(c.state.ship(row.receipt.receipt_id, tracking, c.runWebhooks));
  return json(200, c.state.receipt(row.receipt.receipt_id).receipt);
}

function listListings(c: SandboxCore, [s]: string[], req: Request, userId: number | undefined): Answer {
  shopOf(c, s!);
  const q = check(listingsQuery, queryOf(req.url));
  if (q.state !== 'active' && userId === undefined) fail(401, `Listings in state ${q.state} need an OAuth token with the listings_r scope`);
  const rows = [...c.state.listings.values()].filter((l) => l.state === q.state);
  const key = q.sort_on === 'price' ? (l: Listing) => l.price.amount : q.sort_on === 'updated' ? (l: Listing) => l.updated_timestamp : (l: Listing) => l.created_timestamp;
  const sign = descending(q.sort_order) ? -1 : 1;
  rows.sort((a, b) => sign * (key(a) - key(b) || a.listing_id - b.listing_id));
  const results = rows.slice(q.offset, q.offset + q.limit).map((l) => withIncludes(c, l, q.includes));
  return json(200, { count: rows.length, results });
}

function withIncludes(c: SandboxCore, l: Listing, includes: readonly string[] | undefined): Record<string, unknown> {
  if (!includes || includes.length === 0) return l;
  const out: Record<string, unknown> = { ...l };
  for (const name of includes) {
    if (name === 'Inventory') out.inventory = c.state.inventories.get(l.listing_id) ?? null;
    if (name === 'Shop') out.shop = c.state.shop;
    if (name === 'User') out.user = c.state.user;
    if (name === 'Images') out.images = [];
    if (name === 'Videos') out.videos = [];
    if (name === 'Shipping') out.shipping_profile = null;
    if (name === 'Translations') out.translations = {};
  }
  return out;
}

async function createDraftListing(c: SandboxCore, [s]: string[], req: Request): Promise<Answer> {
  shopOf(c, s!);
  const q = check(draftListing, bodyOf(req));
  const entry = c.state.createListing({ ...q, price: Math.round(q.price * 100), state: 'draft' });
  await c.commit(entry);
  return json(201, entry.listings![0]);
}

async function updateListing(c: SandboxCore, [s, l]: string[], req: Request): Promise<Answer> {
  shopOf(c, s!);
  const listing = c.state.listing(Number(l));
  const q = check(listingUpdate, bodyOf(req));
  if (q.state === 'active' && listing.quantity === 0) fail(400, 'Invalid value for state: a listing with quantity 0 cannot be activated');
  const now = nowSeconds();
  const next: Listing = { ...listing, ...q, updated_timestamp: now, last_modified_timestamp: now } as Listing;
  if (q.state !== undefined && q.state !== listing.state) next.state_timestamp = now;
  await c.commit({ listings: [next] });
  return json(200, next);
}

async function deleteListing(c: SandboxCore, [l]: string[]): Promise<Answer> {
  const listing = c.state.listing(Number(l));
  await c.commit({ dropListings: [listing.listing_id] });
  return { status: 204 };
}

function inventoryOf(c: SandboxCore, listingId: number): Inventory {
  c.state.listing(listingId);
  return c.state.inventories.get(listingId)!;
}

async function updateListingInventory(c: SandboxCore, [l]: string[], req: Request): Promise<Answer> {
  const listing = c.state.listing(Number(l));
  const q = check(inventoryUpdate, bodyOf(req));
  const currency = listing.price.currency_code;
  let nextId = listing.listing_id * 10;
  const products = q.products.map((p) => ({
    product_id: nextId++,
    sku: p.sku,
    is_deleted: false,
    offerings: p.offerings.map((o) => ({ offering_id: nextId++, quantity: o.quantity, is_enabled: o.is_enabled, is_deleted: false, price: money(Math.round(o.price * 100), currency) })),
    property_values: p.property_values,
  }));
  const inventory: Inventory = { products, price_on_property: q.price_on_property, quantity_on_property: q.quantity_on_property, sku_on_property: q.sku_on_property };
  const offerings = products.flatMap((p) => p.offerings).filter((o) => o.is_enabled);
  const quantity = offerings.reduce((n, o) => n + o.quantity, 0);
  const price = offerings[0]?.price ?? listing.price;
  const now = nowSeconds();
  const state = quantity === 0 && listing.state === 'active' ? 'sold_out' : quantity > 0 && listing.state === 'sold_out' ? 'active' : listing.state;
  await c.commit({ listings: [{ ...listing, quantity, price, state, updated_timestamp: now, last_modified_timestamp: now }], inventories: [[listing.listing_id, inventory]] });
  return json(200, inventory);
}

function listConfigs(c: SandboxCore, [s]: string[], req: Request): Answer {
  shopOf(c, s!);
  const q = check(pagination, queryOf(req.url));
  return page([...c.state.configs.values()], q.offset, q.limit);
}

async function createConfig(c: SandboxCore, [s]: string[], req: Request): Promise<Answer> {
  shopOf(c, s!);
  const q = check(pushConfig, bodyOf(req));
  const config = c.state.newConfig(q.url, q.events);
  await c.commit({ configs: [config] });
  return json(201, config);
}

async function deleteConfig(c: SandboxCore, [s, id]: string[]): Promise<Answer> {
  shopOf(c, s!);
  if (!c.state.configs.has(Number(id))) fail(404, `Push configuration ${id} not found`);
  await c.commit({ dropConfigs: [Number(id)] });
  return { status: 204 };
}
