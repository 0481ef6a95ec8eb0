// The sandbox's request checks: query strings, form-encoded and JSON bodies, each a zod schema. A failure is a 400
// naming the first bad parameter, as Etsy answers.
import { z } from 'zod';
import { ApiFailure } from './state.js';
import { LISTING_STATES } from './model.js';
import { EVENT_TYPE_NAMES } from '../core/events/catalog.js';

/** A boolean as Etsy parses one: true/false (also 1/0, yes/no) in a query or form, or a JSON boolean. */
const bool = z.union([z.boolean(), z.stringbool()]);
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const epoch = int(946_684_800);
const SORT_ORDER = ['asc', 'ascending', 'desc', 'descending', 'up', 'down'] as const;
/** A comma-separated list or a repeated parameter. */
const list = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v), z.array(z.string()));

export function descending(order: (typeof SORT_ORDER)[number] | undefined): boolean {
  return order === undefined || order === 'desc' || order === 'descending' || order === 'down';
}

export const receiptsQuery = z.object({
  min_created: epoch.optional(),
  max_created: epoch.optional(),
  min_last_modified: int(0).optional(),
  max_last_modified: int(0).optional(),
  limit: int(1, 100).default(25),
  offset: int(0).default(0),
  sort_on: z.enum(['created', 'updated', 'receipt_id']).default('created'),
  sort_order: z.enum(SORT_ORDER).optional(),
  was_paid: bool.optional(),
  was_shipped: bool.optional(),
  was_delivered: bool.optional(),
  was_canceled: bool.optional(),
  legacy: bool.optional(),
});

export const INCLUDES = ['Shipping', 'Images', 'Shop', 'User', 'Translations', 'Inventory', 'Videos'] as const;
const includes = list.pipe(z.array(z.enum(INCLUDES))).optional();

export const listingsQuery = z.object({
  state: z.enum(LISTING_STATES).default('active'),
  limit: int(1, 100).default(25),
  offset: int(0).default(0),
  sort_on: z.enum(['created', 'price', 'updated', 'score']).default('created'),
  sort_order: z.enum(SORT_ORDER).optional(),
  includes,
  legacy: bool.optional(),
});

export const listingQuery = z.object({ includes, language: z.string().optional(), legacy: bool.optional(), allow_suggested_title: bool.optional() });

export const updateReceipt = z.object({ was_shipped: bool.optional(), was_paid: bool.optional() });

export const shipment = z.object({
  tracking_code: z.string().min(1).optional(),
  carrier_name: z.string().min(1).optional(),
  send_bcc: bool.optional(),
  note_to_buyer: z.string().optional(),
});

const price = z.coerce.number().positive().max(50_000);
const WHO_MADE = z.enum(['i_did', 'someone_else', 'collective']);
const WHEN_MADE = z.string().regex(/^(made_to_order|20[0-9]{2}_20[0-9]{2}|[0-9]{4}s|before_[0-9]{4}|[0-9]{4}_[0-9]{4})$/);

export const draftListing = z.object({
  quantity: int(1, 999),
  title: z.string().trim().min(1).max(140),
  description: z.string().min(1),
  price,
  who_made: WHO_MADE,
  when_made: WHEN_MADE,
  taxonomy_id: int(1),
  tags: list.optional(),
  materials: list.optional(),
});

export const listingUpdate = z.object({
  title: z.string().trim().min(1).max(140).optional(),
  description: z.string().min(1).optional(),
  state: z.enum(['active', 'inactive']).optional(),
  who_made: WHO_MADE.optional(),
  when_made: WHEN_MADE.optional(),
  taxonomy_id: int(1).optional(),
  tags: list.optional(),
  materials: list.optional(),
  should_auto_renew: bool.optional(),
  is_taxable: bool.optional(),
});

export const inventoryUpdate = z.object({
  products: z
    .array(
      z.object({
        sku: z.string().default(''),
        property_values: z.array(z.unknown()).default([]),
        offerings: z.array(z.object({ price, quantity: int(0, 999), is_enabled: z.boolean().default(true) })).min(1),
      }),
    )
    .min(1),
  price_on_property: z.array(z.number().int()).default([]),
  quantity_on_property: z.array(z.number().int()).default([]),
  sku_on_property: z.array(z.number().int()).default([]),
});

export const tokenScopesForm = z.object({ token: z.string().min(1) });

export const pushConfig = z.object({
  url: z.url({ protocol: /^https?$/ }),
  events: z.array(z.string().refine((t) => EVENT_TYPE_NAMES.includes(t), 'not an Etsy event type (etsyhook events types)')).min(1),
});

export const pagination = z.object({ limit: int(1, 100).default(25), offset: int(0).default(0) });

export const authorizeQuery = z.object({
  response_type: z.literal('code'),
  client_id: z.string().min(1),
  redirect_uri: z.url({ protocol: /^https?$/ }),
  scope: z.string().min(1),
  state: z.string().min(1),
  code_challenge: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  code_challenge_method: z.literal('S256'),
});

export const tokenForm = z.discriminatedUnion('grant_type', [
  z.object({ grant_type: z.literal('authorization_code'), client_id: z.string(), redirect_uri: z.string(), code: z.string(), code_verifier: z.string() }),
  z.object({ grant_type: z.literal('refresh_token'), client_id: z.string(), refresh_token: z.string() }),
]);

// The control API (/_sandbox/…), for tests in any language.
export const controlOrder = z.object({ listing_id: int(1), quantity: int(1, 999).default(1), pay: bool.default(false), count: int(1, 100_000).default(1) });
export const controlShip = shipment.pick({ tracking_code: true, carrier_name: true });
export const controlListing = z.object({ title: z.string().trim().min(1).max(140), price, quantity: int(0, 999), description: z.string().optional() });

/** Parse `input` or throw the 400 Etsy would answer, naming the first bad parameter. */
export function check<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = issue.path.length > 0 ? issue.path.join('.') : 'body';
  throw new ApiFailure(400, `Invalid value for ${name}: ${issue.message}`);
}
