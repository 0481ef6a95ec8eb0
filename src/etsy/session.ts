// A logged-in Etsy session: credentials resolved (flags > env > stored), tokens refreshed, push configurations.
import { ConfigStore } from '../config.js';
import { ApiError, NotLoggedInError, OperationError, UsageError } from '../errors.js';
import { DEFAULT_API_BASE, EtsyClient, type HttpMethod, type RequestOptions } from './client.js';
import { REFRESH_TOKEN_LIFETIME_MS, refreshTokens, type TokenSet } from './oauth.js';

export interface EtsySessionOptions {
  apiBase?: string;
  apiKey?: string;
  sharedSecret?: string;
  accessToken?: string;
  shop?: string;
  env?: NodeJS.ProcessEnv;
  config?: ConfigStore;
  /** Verbose lines, secrets masked. */
  log?: (line: string) => void;
  timeoutMs?: number;
  /** Lines the user should always see (rate-limit waits, retries); default: stderr. */
  onNotice?: (line: string) => void;
}

export interface PushConfiguration {
  [key: string]: unknown;
  id: number | string;
  url: string;
  events: string[];
}

export interface EtsySession {
  shopId(): Promise<number>;
  listPushConfigurations(shopId: number): Promise<PushConfiguration[]>;
  createPushConfiguration(shopId: number, input: { url: string; events: string[] }): Promise<PushConfiguration>;
  deletePushConfiguration(shopId: number, id: string | number): Promise<void>;
  getJson(urlOrPath: string): Promise<unknown>;
}

/** Etsy manages webhook endpoints in its developer portal; say so instead of a bare 404/403. */
export const PORTAL_NAME = "Etsy's webhook portal (Your apps → your app → Webhooks, https://www.etsy.com/developers/your-apps)";
const PAGE_LIMIT = 100;
/** Refresh a little before the documented expiry, so a token does not die mid-request. */
const EXPIRY_MARGIN_MS = 60_000;

/** The API base from the flag, ETSY_API_BASE, or Etsy's; a usage error when it is not an http(s) URL. */
export function resolveApiBase(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const fromFlag = flag !== undefined && flag !== '';
  const raw = fromFlag ? flag : env.ETSY_API_BASE || DEFAULT_API_BASE;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${fromFlag ? '--api-base' : 'ETSY_API_BASE'} is not a valid URL: '${raw}'`, `the default is ${DEFAULT_API_BASE}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${fromFlag ? '--api-base' : 'ETSY_API_BASE'} must be an http or https URL, got '${raw}'`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Parse a shop id from --shop, ETSY_SHOP_ID or the config, naming where a bad value came from. */
export function parseShopId(raw: string | number, source: string): number {
  const s = String(raw).trim();
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`${source} must be a numeric Etsy shop id, got '${raw}'`);
  }
  return n;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

export async function openEtsySession(options: EtsySessionOptions): Promise<EtsySession> {
  const env = options.env ?? process.env;
  const config = options.config ?? new ConfigStore(env);
  const stored = await config.all();
  const apiBase = resolveApiBase(options.apiBase, env);

  const apiKey = nonEmpty(options.apiKey) ?? nonEmpty(env.ETSY_API_KEY) ?? nonEmpty(stored.apiKey);
  const sharedSecret = nonEmpty(options.sharedSecret) ?? nonEmpty(env.ETSY_SHARED_SECRET) ?? nonEmpty(stored.sharedSecret);
  const flagOrEnvToken = nonEmpty(options.accessToken) ?? nonEmpty(env.ETSY_ACCESS_TOKEN);
  const envRefresh = nonEmpty(env.ETSY_REFRESH_TOKEN);

  // Tokens from the environment are used as given and never written to disk; a stored login is kept up to date.
  let tokens: { access: string | undefined; refresh: string | undefined; expiresAt: number | undefined; persist: boolean };
  if (flagOrEnvToken !== undefined || (envRefresh !== undefined && stored.refreshToken === undefined)) {
    tokens = { access: flagOrEnvToken, refresh: envRefresh, expiresAt: undefined, persist: false };
  } else {
    const expiresAt = stored.expiresAt ? Date.parse(stored.expiresAt) : NaN;
    tokens = {
      access: nonEmpty(stored.accessToken),
      refresh: envRefresh ?? nonEmpty(stored.refreshToken),
      expiresAt: Number.isNaN(expiresAt) ? undefined : expiresAt,
      persist: envRefresh === undefined,
    };
  }

  if (apiKey === undefined) throw new NotLoggedInError('no keystring (set ETSY_API_KEY)');
  if (sharedSecret === undefined) throw new NotLoggedInError('no shared secret (set ETSY_SHARED_SECRET)');
  if (tokens.access === undefined && tokens.refresh === undefined) {
    throw new NotLoggedInError('no access token (set ETSY_ACCESS_TOKEN, optionally ETSY_REFRESH_TOKEN)');
  }

  const client = new EtsyClient({
    apiBase,
    apiKey,
    sharedSecret,
    env,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
  });
  return new Session(client, config, tokens, apiKey, options, env, stored.shopId, options.log ?? (() => {}));
}

class Session implements EtsySession {
  private refreshing: Promise<void> | undefined;
  private cachedShopId: number | undefined;

  constructor(
    private readonly client: EtsyClient,
    private readonly config: ConfigStore,
    private readonly tokens: { access: string | undefined; refresh: string | undefined; expiresAt: number | undefined; persist: boolean },
    private readonly apiKey: string,
    private readonly options: EtsySessionOptions,
    private readonly env: NodeJS.ProcessEnv,
    private readonly storedShopId: number | undefined,
    private readonly log: (line: string) => void,
  ) {}

  async shopId(): Promise<number> {
    if (this.cachedShopId !== undefined) return this.cachedShopId;
    const flag = nonEmpty(this.options.shop);
    const fromEnv = nonEmpty(this.env.ETSY_SHOP_ID);
    let id: number;
    if (flag !== undefined) id = parseShopId(flag, '--shop');
    else if (fromEnv !== undefined) id = parseShopId(fromEnv, 'ETSY_SHOP_ID');
    else if (this.storedShopId !== undefined && this.tokens.persist) id = parseShopId(this.storedShopId, 'the stored shop id');
    else {
      const me = await this.me();
      if (me.shopId === undefined) {
        throw new OperationError(`Etsy user ${me.userId} has no shop`, { hint: 'pass --shop or set ETSY_SHOP_ID' });
      }
      id = me.shopId;
    }
    this.cachedShopId = id;
    return id;
  }

  async me(): Promise<{ userId: number; shopId: number | undefined }> {
    const body = await this.userRequest('GET', '/application/users/me');
    return parseMe(body);
  }

  async listPushConfigurations(shopId: number): Promise<PushConfiguration[]> {
    const all: PushConfiguration[] = [];
    for (let offset = 0; ; offset += PAGE_LIMIT) {
      const body = await this.pushRequest('GET', shopId, undefined, { query: { limit: PAGE_LIMIT, offset } });
      const { count, results } = parseList(body);
      all.push(...results.map(parsePushConfiguration));
      if (results.length < PAGE_LIMIT || (count !== undefined && all.length >= count)) return all;
    }
  }

  async createPushConfiguration(shopId: number, input: { url: string; events: string[] }): Promise<PushConfiguration> {
    const body = await this.pushRequest('POST', shopId, undefined, { json: { url: input.url, events: input.events } });
    return parsePushConfiguration(body);
  }

  async deletePushConfiguration(shopId: number, id: string | number): Promise<void> {
    try {
      await this.pushRequest('DELETE', shopId, id, {}, { portalOn404: false });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      // A 404 on one id is ambiguous: no such configuration, or no such endpoint. The list tells them apart.
      await this.listPushConfigurations(shopId);
      throw new ApiError(404, `shop ${shopId} has no push configuration with id ${id}`, `see etsyhook configs list --shop ${shopId}`);
    }
  }

  async getJson(urlOrPath: string): Promise<unknown> {
    return this.userRequest('GET', this.resolveTarget(urlOrPath));
  }

  /** A /v3/... path, a path under the base, or an absolute URL on api.etsy.com (rebased onto --api-base). */
  private resolveTarget(urlOrPath: string): URL {
    const base = new URL(this.client.apiBase);
    if (/^https?:\/\//i.test(urlOrPath)) {
      const url = new URL(urlOrPath);
      if (url.href.startsWith(`${this.client.apiBase}/`)) return url;
      if (url.hostname === 'api.etsy.com' || url.hostname === 'openapi.etsy.com') {
        const rest = url.pathname.replace(/^\/v3(?=\/|$)/, '');
        return new URL(`${this.client.apiBase}${rest}${url.search}`);
      }
      // Never send the keystring and token to a host the URL merely names.
      throw new UsageError(`refusing to send Etsy credentials to ${url.host}: not the Etsy API (${base.host})`);
    }
    const path = urlOrPath.startsWith('/') ? urlOrPath : `/${urlOrPath}`;
    const basePath = base.pathname.replace(/\/+$/, '');
    const rest = basePath !== '' && path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : path.replace(/^\/v3(?=\/)/, '');
    return new URL(`${this.client.apiBase}${rest}`);
  }

  private async pushRequest(
    method: HttpMethod,
    shopId: number,
    id: string | number | undefined,
    request: Omit<RequestOptions, 'bearer'>,
    options: { portalOn404: boolean } = { portalOn404: true },
  ): Promise<unknown> {
    const path = `/application/shops/${shopId}/push-configurations${id === undefined ? '' : `/${encodeURIComponent(String(id))}`}`;
    try {
      return await this.userRequest(method, path, request);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 403 || (err.status === 404 && options.portalOn404))) {
        throw new ApiError(
          err.status,
          `Etsy answered ${err.status} for push configurations (${err.message}); Etsy manages webhook endpoints in ${PORTAL_NAME}`,
          'add or remove the endpoint there; on 403 also check that the login has the shops_w scope and owns the shop',
        );
      }
      throw err;
    }
  }

  /** A request with the user's token: refreshed first when it has expired, and once more after a 401. */
  private async userRequest(method: HttpMethod, target: string | URL, request: Omit<RequestOptions, 'bearer'> = {}): Promise<unknown> {
    const expired = this.tokens.expiresAt !== undefined && this.tokens.expiresAt - EXPIRY_MARGIN_MS <= Date.now();
    if (this.tokens.access === undefined || (expired && this.tokens.refresh !== undefined)) {
      this.log(this.tokens.access === undefined ? 'no access token; refreshing' : 'access token expired; refreshing');
      await this.refresh();
    }
    try {
      return (await this.client.send(method, target, { ...request, bearer: this.tokens.access })).body;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      if (this.tokens.refresh === undefined) {
        throw new ApiError(401, `Etsy rejected the access token (${err.message})`, 'run etsyhook auth login, or set a fresh ETSY_ACCESS_TOKEN');
      }
      this.log('Etsy answered 401; refreshing the access token once');
      await this.refresh();
      try {
        return (await this.client.send(method, target, { ...request, bearer: this.tokens.access })).body;
      } catch (again) {
        if (again instanceof ApiError && again.status === 401) {
          throw new ApiError(401, `Etsy rejected the refreshed access token (${again.message})`, 'run etsyhook auth login');
        }
        throw again;
      }
    }
  }

  private refresh(): Promise<void> {
    // Concurrent requests share one refresh: a second refresh would spend the rotated refresh token.
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const refreshToken = this.tokens.refresh;
    if (refreshToken === undefined) throw new UsageError('the Etsy access token has expired and there is no refresh token', 'run etsyhook auth login');
    const next: TokenSet = await refreshTokens(this.client, { clientId: this.apiKey, refreshToken });
    this.tokens.access = next.accessToken;
    this.tokens.refresh = next.refreshToken;
    this.tokens.expiresAt = next.expiresAt;
    if (this.tokens.persist) {
      await this.config.set({
        accessToken: next.accessToken,
        ...(next.refreshToken !== undefined ? { refreshToken: next.refreshToken } : {}),
        expiresAt: new Date(next.expiresAt).toISOString(),
        ...(next.refreshToken !== refreshToken ? { refreshExpiresAt: new Date(Date.now() + REFRESH_TOKEN_LIFETIME_MS).toISOString() } : {}),
      });
      this.log('stored the refreshed tokens');
    } else {
      this.log('refreshed the access token (from the environment, so not stored)');
    }
  }
}

export function parseMe(body: unknown): { userId: number; shopId: number | undefined } {
  const o = (body ?? {}) as Record<string, unknown>;
  const userId = Number(o.user_id);
  if (typeof body !== 'object' || body === null || !Number.isSafeInteger(userId)) {
    throw new OperationError('Etsy answered users/me without a user_id');
  }
  const shop = Number(o.shop_id);
  return { userId, shopId: o.shop_id !== null && o.shop_id !== undefined && Number.isSafeInteger(shop) && shop > 0 ? shop : undefined };
}

function parseList(body: unknown): { count: number | undefined; results: unknown[] } {
  if (Array.isArray(body)) return { count: body.length, results: body };
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { results?: unknown }).results)) {
    throw new OperationError('Etsy answered the push-configuration list without {count, results}');
  }
  const o = body as { count?: unknown; results: unknown[] };
  return { count: typeof o.count === 'number' ? o.count : undefined, results: o.results };
}

/** Keep everything Etsy sent; make sure `id`, `url` and `events` are there for callers. */
export function parsePushConfiguration(raw: unknown): PushConfiguration {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new OperationError('Etsy answered with a push configuration that is not an object');
  }
  const o = raw as Record<string, unknown>;
  const id = o.id ?? o.push_configuration_id ?? o.push_config_id;
  if (typeof id !== 'number' && typeof id !== 'string') throw new OperationError('Etsy answered with a push configuration without an id');
  const events = Array.isArray(o.events) ? o.events.filter((e): e is string => typeof e === 'string') : [];
  return { ...o, id, url: typeof o.url === 'string' ? o.url : '', events };
}
