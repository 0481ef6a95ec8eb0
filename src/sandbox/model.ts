// The sandbox's shop data, shaped as Etsy's Open API v3 answers it (field names and types as the reference defines
// them; nothing the reference does not define), and the seed a fresh sandbox starts from.
import { randomBytes } from 'node:crypto';

export interface Money {
  amount: number;
  divisor: number;
  currency_code: string;
}

export interface User {
  user_id: number;
  primary_email: string;
  first_name: string;
  last_name: string;
  image_url_75x75: string | null;
}

export type Shop = Record<string, unknown> & { shop_id: number; user_id: number; shop_name: string; currency_code: string };

export type ListingState = 'active' | 'inactive' | 'sold_out' | 'draft' | 'expired';
export const LISTING_STATES: readonly ListingState[] = ['active', 'inactive', 'sold_out', 'draft', 'expired'];

export type Listing = Record<string, unknown> & {
  listing_id: number;
  shop_id: number;
  title: string;
  state: ListingState;
  quantity: number;
  price: Money;
  created_timestamp: number;
  updated_timestamp: number;
};

export interface Offering {
  offering_id: number;
  quantity: number;
  is_enabled: boolean;
  is_deleted: boolean;
  price: Money;
}

export interface Product {
  product_id: number;
  sku: string;
  is_deleted: boolean;
  offerings: Offering[];
  property_values: unknown[];
}

export interface Inventory {
  products: Product[];
  price_on_property: number[];
  quantity_on_property: number[];
  sku_on_property: number[];
}

export interface Shipment {
  receipt_shipping_id: number;
  shipment_notification_timestamp: number;
  carrier_name: string;
  tracking_code: string;
}

export type Transaction = Record<string, unknown> & { transaction_id: number; listing_id: number; quantity: number; receipt_id: number };

export type ReceiptStatus = 'open' | 'paid' | 'completed' | 'canceled';

export type Receipt = Record<string, unknown> & {
  receipt_id: number;
  status: ReceiptStatus;
  is_paid: boolean;
  is_shipped: boolean;
  created_timestamp: number;
  updated_timestamp: number;
  shipments: Shipment[];
  transactions: Transaction[];
};

/** A receipt and what only the sandbox knows about it (delivery is visible only through `was_delivered`). */
export interface ReceiptRow {
  receipt: Receipt;
  delivered: boolean;
}

/** A push configuration (a sandbox extension: Etsy's reference has no webhook operations). */
export interface PushConfig {
  id: number;
  url: string;
  events: string[];
  created_timestamp: number;
  updated_timestamp: number;
}

/** The app's credentials and the seller: kept by --fresh and reset, so the environment an app was given keeps working. */
export interface AppIdentity {
  keystring: string;
  sharedSecret: string;
  webhookSecret: string;
  userId: number;
  shopId: number;
  accessToken: string;
  refreshToken: string;
}

export function money(amount: number, currency = 'USD'): Money {
  return { amount, divisor: 100, currency_code: currency };
}

export function nowSeconds(now = Date.now()): number {
  return Math.floor(now / 1000);
}

function token(userId: number): string {
  return `${userId}.${randomBytes(24).toString('base64url')}`;
}

export function newIdentity(webhookSecret: string): AppIdentity {
  const userId = 500_000_000 + (randomBytes(3).readUIntBE(0, 3) % 100_000_000);
  return {
    keystring: randomBytes(12).toString('hex'),
    sharedSecret: randomBytes(5).toString('hex'),
    webhookSecret,
    userId,
    shopId: 40_000_000 + (userId % 10_000_000),
    accessToken: token(userId),
    refreshToken: token(userId),
  };
}

export function mintToken(userId: number): string {
  return token(userId);
}

export function seedUser(app: AppIdentity): User {
  return { user_id: app.userId, primary_email: 'seller@sandbox.example', first_name: 'Sam', last_name: 'Sandbox', image_url_75x75: null };
}

export function seedShop(app: AppIdentity, publicUrl: string, now: number): Shop {
  return {
    shop_id: app.shopId,
    user_id: app.userId,
    shop_name: 'SandboxCeramics',
    create_date: now,
    created_timestamp: now,
    title: 'Handmade stoneware from the sandbox',
    announcement: 'Every order ships within three days.',
    currency_code: 'USD',
    is_vacation: false,
    vacation_message: null,
    sale_message: 'Thank you for your order!',
    digital_sale_message: null,
    update_date: now,
    updated_timestamp: now,
    listing_active_count: 3,
    digital_listing_count: 0,
    login_name: 'samsandbox',
    accepts_custom_requests: false,
    vacation_autoreply: null,
    url: `${publicUrl}/shop/SandboxCeramics`,
    image_url_760x100: null,
    num_favorers: 12,
    languages: ['en-US'],
    icon_url_fullxfull: null,
    is_using_structured_policies: true,
    has_onboarded_structured_policies: true,
    include_dispute_form_link: false,
    is_direct_checkout_onboarded: true,
    is_etsy_payments_onboarded: true,
    is_calculated_eligible: true,
    is_opted_in_to_buyer_promise: false,
    is_shop_us_based: true,
    transaction_sold_count: 0,
    shipping_from_country_iso: 'US',
    shop_location_country_iso: 'US',
    review_count: 0,
    review_average: null,
  };
}

export interface ListingInput {
  title: string;
  description?: string;
  price: number;
  quantity: number;
  state: ListingState;
  who_made?: string;
  when_made?: string;
  taxonomy_id?: number;
  tags?: string[];
  materials?: string[];
}

export function buildListing(app: AppIdentity, id: number, input: ListingInput, publicUrl: string, now: number): Listing {
  return {
    listing_id: id,
    user_id: app.userId,
    shop_id: app.shopId,
    title: input.title,
    description: input.description ?? `${input.title}, made by hand.`,
    state: input.state,
    creation_timestamp: now,
    created_timestamp: now,
    ending_timestamp: now + 120 * 86_400,
    original_creation_timestamp: now,
    last_modified_timestamp: now,
    updated_timestamp: now,
    state_timestamp: now,
    quantity: input.quantity,
    shop_section_id: null,
    featured_rank: -1,
    url: `${publicUrl}/listing/${id}`,
    num_favorers: 0,
    non_taxable: false,
    is_taxable: true,
    is_customizable: false,
    is_personalizable: false,
    personalization_is_required: false,
    personalization_char_count_max: null,
    personalization_instructions: null,
    listing_type: 'physical',
    tags: input.tags ?? [],
    materials: input.materials ?? [],
    shipping_profile_id: null,
    return_policy_id: null,
    processing_min: 1,
    processing_max: 3,
    who_made: input.who_made ?? 'i_did',
    when_made: input.when_made ?? 'made_to_order',
    is_supply: false,
    item_weight: null,
    item_weight_unit: null,
    item_length: null,
    item_width: null,
    item_height: null,
    item_dimensions_unit: null,
    is_private: false,
    style: [],
    file_data: '',
    has_variations: false,
    should_auto_renew: false,
    language: 'en-US',
    price: money(input.price),
    taxonomy_id: input.taxonomy_id ?? 1,
    skus: [],
    views: 0,
  };
}

export function buildInventory(listing: Listing, productId: number): Inventory {
  return {
    products: [
      {
        product_id: productId,
        sku: '',
        is_deleted: false,
        offerings: [{ offering_id: productId, quantity: listing.quantity, is_enabled: true, is_deleted: false, price: { ...listing.price } }],
        property_values: [],
      },
    ],
    price_on_property: [],
    quantity_on_property: [],
    sku_on_property: [],
  };
}

export const SEED_LISTINGS: readonly ListingInput[] = [
  { title: 'Speckled stoneware mug, 12 oz', price: 2800, quantity: 12, state: 'active', tags: ['mug', 'stoneware'], materials: ['clay'] },
  { title: 'Hand-thrown serving bowl', price: 6400, quantity: 4, state: 'active', tags: ['bowl'], materials: ['clay'] },
  { title: 'Set of four ceramic coasters', price: 2200, quantity: 25, state: 'active', tags: ['coaster'], materials: ['clay', 'cork'] },
];

const BUYERS = [
  { name: 'Alex Rivera', first_line: '12 Orchard Lane', city: 'Portland', state: 'OR', zip: '97205' },
  { name: 'Jordan Lee', first_line: '400 Pine Street', city: 'Seattle', state: 'WA', zip: '98101' },
  { name: 'Casey Morgan', first_line: '7 Elm Court', city: 'Austin', state: 'TX', zip: '78701' },
];

export interface ReceiptIds {
  receiptId: number;
  transactionId: number;
  buyerUserId: number;
}

/** A new receipt for `quantity` of `listing`: status `open`, unpaid (the sandbox's choice for an unpaid order). */
export function buildReceipt(app: AppIdentity, listing: Listing, quantity: number, ids: ReceiptIds, now: number): Receipt {
  const buyer = BUYERS[ids.receiptId % BUYERS.length]!;
  const currency = listing.price.currency_code;
  const subtotal = listing.price.amount * quantity;
  const shipping = 500;
  const transaction: Transaction = {
    transaction_id: ids.transactionId,
    title: listing.title,
    description: String(listing.description ?? ''),
    seller_user_id: app.userId,
    buyer_user_id: ids.buyerUserId,
    create_timestamp: now,
    created_timestamp: now,
    paid_timestamp: null,
    shipped_timestamp: null,
    quantity,
    listing_image_id: null,
    receipt_id: ids.receiptId,
    is_digital: false,
    file_data: '',
    listing_id: listing.listing_id,
    transaction_type: 'listing',
    product_id: listing.listing_id,
    sku: '',
    price: { ...listing.price },
    shipping_cost: money(shipping, currency),
    variations: [],
    product_data: [],
    shipping_profile_id: null,
    min_processing_days: 1,
    max_processing_days: 3,
    shipping_method: null,
    shipping_upgrade: null,
    expected_ship_date: now + 3 * 86_400,
    buyer_coupon: 0,
    shop_coupon: 0,
  };
  return {
    receipt_id: ids.receiptId,
    receipt_type: 0,
    seller_user_id: app.userId,
    seller_email: 'seller@sandbox.example',
    buyer_user_id: ids.buyerUserId,
    buyer_email: `buyer${ids.buyerUserId}@sandbox.example`,
    name: buyer.name,
    first_line: buyer.first_line,
    second_line: null,
    city: buyer.city,
    state: buyer.state,
    zip: buyer.zip,
    status: 'open',
    formatted_address: `${buyer.name}\n${buyer.first_line}\n${buyer.city}, ${buyer.state} ${buyer.zip}\nUnited States`,
    country_iso: 'US',
    payment_method: 'cc',
    payment_email: null,
    message_from_seller: null,
    message_from_buyer: null,
    message_from_payment: null,
    is_paid: false,
    is_shipped: false,
    create_timestamp: now,
    created_timestamp: now,
    update_timestamp: now,
    updated_timestamp: now,
    is_gift: false,
    gift_message: '',
    gift_sender: '',
    grandtotal: money(subtotal + shipping, currency),
    subtotal: money(subtotal, currency),
    total_price: money(subtotal, currency),
    total_shipping_cost: money(shipping, currency),
    total_tax_cost: money(0, currency),
    total_vat_cost: money(0, currency),
    discount_amt: money(0, currency),
    gift_wrap_price: money(0, currency),
    shipments: [],
    transactions: [transaction],
    refunds: [],
  };
}
