// The sandbox's shop state and the legal steps between its states. Every change is one Entry: applied in memory at
// once (so two requests never both pass the same check) and appended to the log with the webhooks it fires before
// the API answers. Replaying the entries of the log rebuilds the same state after a restart.
import { OperationError } from '../errors.js';
import { newEventId } from '../core/log/records.js';
import { newWebhookId } from '../core/receive/signature.js';
import {
  buildInventory,
  buildListing,
  buildReceipt,
  nowSeconds,
  seedShop,
  seedUser,
  SEED_LISTINGS,
  type AppIdentity,
  type Inventory,
  type Listing,
  type ListingInput,
  type PushConfig,
  type ReceiptRow,
  type Shop,
  type User,
} from './model.js';

/** A failure the API answers with its status and `{"error"}` (the CLI: one line, exit 1). */
export class ApiFailure extends OperationError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface TokenGrant {
  token: string;
  kind: 'access' | 'refresh';
  userId: number;
  scopes: string[];
  /** Epoch ms; null: never (the banner's own tokens). */
  expiresAt: number | null;
}

export interface CodeGrant {
  code: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
  scopes: string[];
  expiresAt: number;
  used: boolean;
}

export interface WebhookTarget {
  url: string;
  attempts: number;
  /** Epoch ms of the next attempt. */
  dueAt: number;
  done: boolean;
}

/** One event fired: one webhook-id, the same at every endpoint and on every retry. */
export interface Webhook {
  id: string;
  webhookId: string;
  type: string;
  body: string;
  targets: WebhookTarget[];
}

export interface AttemptMark {
  webhookId: string;
  url: string;
  attempts: number;
  dueAt: number;
  done: boolean;
}

export interface Snapshot {
  app: AppIdentity;
  user: User;
  shop: Shop;
  listings: Listing[];
  inventories: [number, Inventory][];
  receipts: ReceiptRow[];
  configs: PushConfig[];
  tokens: TokenGrant[];
  codes: CodeGrant[];
  webhooks: Webhook[];
}

/** One change, as logged. */
export interface Entry {
  snapshot?: Snapshot;
  /** Drop shop data, push configurations and pending webhooks (the app's credentials and tokens stay). */
  reset?: true;
  app?: AppIdentity;
  shop?: Shop;
  listings?: Listing[];
  inventories?: [number, Inventory][];
  dropListings?: number[];
  receipts?: ReceiptRow[];
  configs?: PushConfig[];
  dropConfigs?: number[];
  tokens?: TokenGrant[];
  codes?: CodeGrant[];
  webhooks?: Webhook[];
  attempts?: AttemptMark[];
}

export class SandboxState {
  app!: AppIdentity;
  user!: User;
  shop!: Shop;
  readonly listings = new Map<number, Listing>();
  readonly inventories = new Map<number, Inventory>();
  readonly receipts = new Map<number, ReceiptRow>();
  /** Receipt ids in creation order. */
  receiptOrder: number[] = [];
  readonly configs = new Map<number, PushConfig>();
  readonly tokens = new Map<string, TokenGrant>();
  readonly codes = new Map<string, CodeGrant>();
  readonly webhooks = new Map<string, Webhook>();
  private next = { listing: 1_400_000_001, receipt: 3_100_000_001, transaction: 4_200_000_001, shipment: 1_600_000_001, config: 10_000_001 };

  constructor(
    /** Where the API is reached from outside (resource_url, listing urls). */
    readonly apiBase: string,
    readonly publicUrl: string,
  ) {}

  /** Apply one logged change. */
  apply(e: Entry): void {
    if (e.snapshot) this.load(e.snapshot);
    if (e.reset) this.clearShop();
    if (e.app) this.app = e.app;
    if (e.shop) this.shop = e.shop;
    for (const l of e.listings ?? []) this.listings.set(l.listing_id, l);
    for (const [id, inv] of e.inventories ?? []) this.inventories.set(id, inv);
    for (const id of e.dropListings ?? []) {
      this.listings.delete(id);
      this.inventories.delete(id);
    }
    for (const r of e.receipts ?? []) {
      if (!this.receipts.has(r.receipt.receipt_id)) this.receiptOrder.push(r.receipt.receipt_id);
      this.receipts.set(r.receipt.receipt_id, r);
    }
    for (const c of e.configs ?? []) this.configs.set(c.id, c);
    for (const id of e.dropConfigs ?? []) this.configs.delete(id);
    for (const t of e.tokens ?? []) this.tokens.set(t.token, t);
    for (const c of e.codes ?? []) this.codes.set(c.code, c);
    for (const w of e.webhooks ?? []) this.webhooks.set(w.webhookId, w);
    for (const a of e.attempts ?? []) this.mark(a);
    this.bumpIds(e);
  }

  private mark(a: AttemptMark): void {
    const w = this.webhooks.get(a.webhookId);
    const t = w?.targets.find((x) => x.url === a.url);
    if (!w || !t) return;
    Object.assign(t, { attempts: a.attempts, dueAt: a.dueAt, done: a.done });
    if (w.targets.every((x) => x.done)) this.webhooks.delete(w.webhookId);
  }

  private load(s: Snapshot): void {
    this.clearShop();
    this.tokens.clear();
    this.codes.clear();
    this.app = s.app;
    this.user = s.user;
    this.shop = s.shop;
  }

  private clearShop(): void {
    this.listings.clear();
    this.inventories.clear();
    this.receipts.clear();
    this.receiptOrder = [];
    this.configs.clear();
    this.webhooks.clear();
  }

  private bumpIds(e: Entry): void {
    const n = this.next;
    for (const l of e.listings ?? []) n.listing = Math.max(n.listing, l.listing_id + 1);
    for (const r of e.receipts ?? []) {
      n.receipt = Math.max(n.receipt, r.receipt.receipt_id + 1);
      for (const t of r.receipt.transactions) n.transaction = Math.max(n.transaction, t.transaction_id + 1);
      for (const s of r.receipt.shipments) n.shipment = Math.max(n.shipment, s.receipt_shipping_id + 1);
    }
    for (const c of e.configs ?? []) n.config = Math.max(n.config, c.id + 1);
  }

  /** The whole state as one entry (compaction). */
  snapshot(): Entry {
    return {
      snapshot: { app: this.app, user: this.user, shop: this.shop, listings: [], inventories: [], receipts: [], configs: [], tokens: [], codes: [], webhooks: [] },
      listings: [...this.listings.values()],
      inventories: [...this.inventories],
      receipts: this.receiptOrder.map((id) => this.receipts.get(id)!),
      configs: [...this.configs.values()],
      tokens: [...this.tokens.values()].filter((t) => t.expiresAt === null || t.expiresAt > Date.now()),
      codes: [...this.codes.values()].filter((c) => c.expiresAt > Date.now()),
      webhooks: [...this.webhooks.values()],
    };
  }

  /** The seed: one seller with one shop and three active listings with inventory, no receipts. */
  seed(app: AppIdentity, reset: boolean): Entry {
    const now = nowSeconds();
    const e: Entry = reset ? { reset: true } : { snapshot: { app, user: seedUser(app), shop: seedShop(app, this.publicUrl, now), listings: [], inventories: [], receipts: [], configs: [], tokens: [], codes: [], webhooks: [] } };
    if (reset) e.shop = seedShop(app, this.publicUrl, now);
    e.listings = [];
    e.inventories = [];
    let id = 1_400_000_001; // the seed listings keep their ids across resets (scripts name them)
    for (const input of SEED_LISTINGS) {
      const listing = buildListing(app, id++, input, this.publicUrl, now);
      e.listings.push(listing);
      e.inventories.push([listing.listing_id, buildInventory(listing, listing.listing_id + 7)]);
    }
    return e;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reads

  listing(id: number): Listing {
    const l = this.listings.get(id);
    if (!l) throw new ApiFailure(404, `Listing with listing_id ${id} not found`);
    return l;
  }

  receipt(id: number): ReceiptRow {
    const r = this.receipts.get(id);
    if (!r) throw new ApiFailure(404, `Receipt with receipt_id ${id} not found`);
    return r;
  }

  /** The endpoints an event of `type` goes to: this run's --webhook URLs and the stored configurations, once each. */
  targetsFor(type: string, runWebhooks: readonly string[]): string[] {
    const urls = new Set(runWebhooks);
    for (const c of this.configs.values()) if (c.events.includes(type)) urls.add(c.url);
    return [...urls];
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Changes: each returns the Entry that makes it (not yet applied).

  createListing(input: ListingInput): Entry {
    const now = nowSeconds();
    const listing = buildListing(this.app, this.next.listing, input, this.publicUrl, now);
    return { listings: [listing], inventories: [[listing.listing_id, buildInventory(listing, listing.listing_id + 7)]] };
  }

  createOrders(listingId: number, quantity: number, count: number): Entry {
    const listing = this.listing(listingId);
    if (listing.state !== 'active') throw new ApiFailure(409, `Listing ${listingId} is ${listing.state}, not active: it cannot be ordered`);
    const now = nowSeconds();
    const receipts: ReceiptRow[] = [];
    for (let i = 0; i < count; i++) {
      const receiptId = this.next.receipt + i;
      const ids = { receiptId, transactionId: this.next.transaction + i, buyerUserId: 700_000_000 + (receiptId % 1_000_000) };
      receipts.push({ receipt: buildReceipt(this.app, listing, quantity, ids, now), delivered: false });
    }
    return { receipts };
  }

  /** Pay: stock taken (0 left → the listing is sold_out), order.paid fired. */
  pay(id: number, runWebhooks: readonly string[]): Entry {
    const row = this.receipt(id);
    const r = row.receipt;
    if (r.status === 'canceled') throw new ApiFailure(409, `Receipt ${id} is canceled: it cannot be paid`);
    if (r.is_paid) throw new ApiFailure(409, `Receipt ${id} is already paid`);
    const now = nowSeconds();
    const listings = new Map<number, Listing>();
    for (const t of r.transactions) {
      const l = listings.get(t.listing_id) ?? this.listings.get(t.listing_id);
      if (!l) throw new ApiFailure(409, `Listing ${t.listing_id} of receipt ${id} no longer exists`);
      if (l.quantity < t.quantity) throw new ApiFailure(409, `Listing ${t.listing_id} has ${l.quantity} left; receipt ${id} needs ${t.quantity}`);
      const quantity = l.quantity - t.quantity;
      listings.set(l.listing_id, { ...l, quantity, state: quantity === 0 ? 'sold_out' : l.state, updated_timestamp: now, last_modified_timestamp: now });
    }
    const receipt = { ...r, status: 'paid' as const, is_paid: true, update_timestamp: now, updated_timestamp: now, transactions: r.transactions.map((t) => ({ ...t, paid_timestamp: now })) };
    return { receipts: [{ ...row, receipt }], ...this.stock([...listings.values()]), ...this.fire('order.paid', id, runWebhooks) };
  }

  /** Ship: a shipment added (each one fires order.shipped), the receipt completed. */
  ship(id: number, tracking: { tracking_code?: string; carrier_name?: string }, runWebhooks: readonly string[]): Entry {
    const row = this.receipt(id);
    const r = row.receipt;
    if (r.status === 'canceled') throw new ApiFailure(409, `Receipt ${id} is canceled: it cannot be shipped`);
    if (!r.is_paid) throw new ApiFailure(409, `Receipt ${id} is not paid: it cannot be shipped`);
    const now = nowSeconds();
    const shipments = [...r.shipments];
    if (tracking.tracking_code !== undefined || tracking.carrier_name !== undefined || shipments.length === 0) {
      shipments.push({ receipt_shipping_id: this.next.shipment, shipment_notification_timestamp: now, carrier_name: tracking.carrier_name ?? '', tracking_code: tracking.tracking_code ?? '' });
    }
    const transactions = r.transactions.map((t) => ({ ...t, shipped_timestamp: t.shipped_timestamp ?? now }));
    const receipt = { ...r, status: 'completed' as const, is_shipped: true, shipments, transactions, update_timestamp: now, updated_timestamp: now };
    return { receipts: [{ ...row, receipt }], ...this.fire('order.shipped', id, runWebhooks) };
  }

  /** Deliver: no receipt field changes (only was_delivered sees it); needs a shipped order. */
  deliver(id: number, runWebhooks: readonly string[]): Entry {
    const row = this.receipt(id);
    if (!row.receipt.is_shipped) throw new ApiFailure(409, `Receipt ${id} is not shipped: it cannot be delivered`);
    if (row.delivered) throw new ApiFailure(409, `Receipt ${id} is already delivered`);
    return { receipts: [{ ...row, delivered: true }], ...this.fire('order.delivered', id, runWebhooks) };
  }

  /** Cancel: a paid order's stock comes back; an unpaid one moves none. */
  cancel(id: number, runWebhooks: readonly string[]): Entry {
    const row = this.receipt(id);
    const r = row.receipt;
    if (r.status === 'canceled') throw new ApiFailure(409, `Receipt ${id} is already canceled`);
    if (r.is_shipped) throw new ApiFailure(409, `Receipt ${id} is shipped: it cannot be canceled`);
    const now = nowSeconds();
    const listings: Listing[] = [];
    if (r.is_paid) {
      for (const t of r.transactions) {
        const l = this.listings.get(t.listing_id);
        if (!l) continue;
        const quantity = l.quantity + t.quantity;
        listings.push({ ...l, quantity, state: l.state === 'sold_out' ? 'active' : l.state, updated_timestamp: now, last_modified_timestamp: now });
      }
    }
    const receipt = { ...r, status: 'canceled' as const, update_timestamp: now, updated_timestamp: now };
    return { receipts: [{ ...row, receipt }], ...this.stock(listings), ...this.fire('order.canceled', id, runWebhooks) };
  }

  /** Listings whose quantity changed, with their inventory's offering quantity following. */
  private stock(listings: Listing[]): Pick<Entry, 'listings' | 'inventories'> {
    const inventories: [number, Inventory][] = [];
    for (const l of listings) {
      const inv = this.inventories.get(l.listing_id);
      if (!inv) continue;
      const products = inv.products.map((p, i) => (i === 0 ? { ...p, offerings: p.offerings.map((o, j) => (j === 0 ? { ...o, quantity: l.quantity } : o)) } : p));
      inventories.push([l.listing_id, { ...inv, products }]);
    }
    return { listings, inventories };
  }

  /** The webhook an order event fires, due at once at each endpoint subscribed. */
  private fire(type: string, receiptId: number, runWebhooks: readonly string[]): Pick<Entry, 'webhooks'> {
    const shopId = this.app.shopId;
    const body = JSON.stringify({ event_type: type, resource_url: `${this.apiBase}/application/shops/${shopId}/receipts/${receiptId}`, shop_id: shopId });
    const targets = this.targetsFor(type, runWebhooks).map((url) => ({ url, attempts: 0, dueAt: Date.now(), done: false }));
    if (targets.length === 0) return {};
    return { webhooks: [{ id: newEventId(), webhookId: newWebhookId(), type, body, targets }] };
  }

  newConfig(url: string, events: string[]): PushConfig {
    const now = nowSeconds();
    return { id: this.next.config, url, events, created_timestamp: now, updated_timestamp: now };
  }
}
