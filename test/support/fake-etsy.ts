// A fake Etsy Open API v3 on loopback, strict about the documented contract, with switches for faults.
// Real HTTP, so the CLI under test runs as a user would run it: a separate process talking over TCP.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, it as harness } from './index.js';

export type Fault =
  | { kind: '429'; retryAfter: number | string }
  | { kind: '500' }
  | { kind: '503'; retryAfter?: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'drop' };

export interface FaultMatch {
  method?: string;
  /** Tested against the path without the query. */
  path?: RegExp;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface CodeGrant {
  challenge: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  used: boolean;
}

interface TokenInfo {
  userId: number;
  expiresAt: number;
}

/** A stored push configuration: the shape the sandbox keeps too. */
export type { PushConfig } from '../../src/sandbox/model.js';
import type { PushConfig } from '../../src/sandbox/model.js';

const KNOWN_EVENTS = new Set([
  'order.paid', 'order.canceled', 'order.shipped', 'order.delivered',
  'listing.created', 'listing.updated', 'listing.deleted', 'listing.activated', 'listing.deactivated',
  'receipt.created', 'receipt.updated', 'shop.updated',
]);

export class FakeEtsy {
  readonly keystring = `ks${randomBytes(11).toString('hex')}`;
  readonly sharedSecret = `ss${randomBytes(8).toString('hex')}`;
  readonly userId = 48_151_623;
  readonly shopId = 31_415_926;
  /** Lifetime of issued access tokens, in seconds. */
  tokenTtlSec = 3600;
  /** Refuse every refresh_token grant (as Etsy does for a revoked or expired refresh token). */
  refuseRefresh = false;
  /** Answer push-configuration paths with this status, as if Etsy only managed them in its portal. */
  portalOnly: 404 | 403 | undefined;
  readonly configs = new Map<number, PushConfig>();
  readonly requests: RecordedRequest[] = [];
  readonly counts = { createAttempts: 0, tokenExchanges: 0, refreshes: 0, authorizePages: 0 };
  readonly issued: { accessTokens: string[]; refreshTokens: string[] } = { accessTokens: [], refreshTokens: [] };

  private server: Server | undefined;
  private port = 0;
  private nextConfigId = 10_000_001;
  private readonly codes = new Map<string, CodeGrant>();
  private readonly accessTokens = new Map<string, TokenInfo>();
  private readonly refreshTokens = new Map<string, number>();
  private readonly faults: { fault: Fault; match: FaultMatch }[] = [];
  private remainingToday = 10_000;

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get apiBase(): string {
    return `${this.origin}/v3`;
  }

  get authorizeUrl(): string {
    return `${this.origin}/oauth/connect`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Make the next matching request fail this way (queued; each fault applies once). */
  failNext(fault: Fault, match: FaultMatch = {}, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ fault, match });
  }

  /** Tokens as if the user had logged in, for tests that start logged in. */
  issueTokens(ttlSec = this.tokenTtlSec): { accessToken: string; refreshToken: string; expiresAt: number } {
    const accessToken = `${this.userId}.${randomBytes(24).toString('base64url')}`;
    const refreshToken = `${this.userId}.${randomBytes(24).toString('base64url')}`;
    const expiresAt = Date.now() + ttlSec * 1000;
    this.accessTokens.set(accessToken, { userId: this.userId, expiresAt });
    this.refreshTokens.set(refreshToken, this.userId);
    this.issued.accessTokens.push(accessToken);
    this.issued.refreshTokens.push(refreshToken);
    return { accessToken, refreshToken, expiresAt };
  }

  /** Expire an access token now (Etsy's tokens live an hour). */
  expire(accessToken: string): void {
    const info = this.accessTokens.get(accessToken);
    if (info) info.expiresAt = Date.now() - 1;
  }

  addConfig(url: string, events: string[]): PushConfig {
    const now = Math.floor(Date.now() / 1000);
    const config = { id: this.nextConfigId++, url, events, created_timestamp: now, updated_timestamp: now };
    this.configs.set(config.id, config);
    return config;
  }

  /** Requests that reached a path (optionally with a method). */
  hits(path: RegExp, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => path.test(r.path) && (method === undefined || r.method === method));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.origin);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, headers: req.headers, body });

    if (url.pathname === '/oauth/connect') return this.authorizePage(url, res);
    if (!url.pathname.startsWith('/v3/')) return this.json(res, 404, { error: 'Not Found' });

    // Counted before faults: a POST that then fails with 500 may well have taken effect, as at Etsy.
    const isPushPath = /^\/v3\/application\/shops\/[^/]+\/push-configurations(\/|$)/.test(url.pathname);
    if (isPushPath && method === 'POST') this.counts.createAttempts++;

    const i = this.faults.findIndex(
      ({ match }) => (match.method === undefined || match.method === method) && (match.path === undefined || match.path.test(url.pathname)),
    );
    if (i >= 0) {
      const { fault } = this.faults.splice(i, 1)[0]!;
      switch (fault.kind) {
        case '429':
          return this.json(res, 429, { error: 'You have exceeded your quota of requests per second' }, { 'retry-after': String(fault.retryAfter) }, 0);
        case '500':
          if (isPushPath && method === 'POST') this.createFrom(body); // it reached Etsy, then the answer failed
          return this.json(res, 500, { error: 'Internal Server Error' });
        case '503':
          return this.json(res, 503, { error: 'Service Unavailable' }, fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {});
        case 'slow':
          await new Promise((r) => setTimeout(r, fault.delayMs));
          if (res.destroyed) return;
          break;
        case 'drop':
          req.socket.destroy();
          return;
      }
    }

    // Every request needs x-api-key: <keystring>:<shared secret>.
    const apiKey = req.headers['x-api-key'];
    if (apiKey === undefined) return this.json(res, 401, { error: 'Missing x-api-key header' });
    if (apiKey !== `${this.keystring}:${this.sharedSecret}`) {
      return this.json(res, 401, { error: 'Invalid API key: expected keystring:shared_secret' });
    }

    if (url.pathname === '/v3/public/oauth/token') {
      if (method !== 'POST') return this.json(res, 405, { error: 'Method Not Allowed' });
      return this.token(req, body, res);
    }
    if (!url.pathname.startsWith('/v3/application/')) return this.json(res, 404, { error: 'Not Found' });

    const user = this.bearer(req);
    if (typeof user === 'string') return this.json(res, 401, { error: user });

    if (url.pathname === '/v3/application/users/me' && method === 'GET') {
      return this.json(res, 200, { user_id: user, shop_id: this.shopId });
    }
    const receipt = /^\/v3\/application\/shops\/(\d+)\/receipts\/(\d+)$/.exec(url.pathname);
    if (receipt && method === 'GET') {
      return this.json(res, 200, { receipt_id: Number(receipt[2]), shop_id: Number(receipt[1]), status: 'paid', grandtotal: { amount: 2400, divisor: 100, currency_code: 'USD' } });
    }
    const push = /^\/v3\/application\/shops\/([^/]+)\/push-configurations(?:\/([^/]+))?$/.exec(url.pathname);
    if (push) {
      if (this.portalOnly !== undefined) return this.json(res, this.portalOnly, { error: this.portalOnly === 404 ? 'Not Found' : 'Forbidden' });
      if (Number(push[1]) !== this.shopId) return this.json(res, 403, { error: 'You do not have permission to manage this shop' });
      return this.pushConfigurations(method, push[2], url, req, body, res);
    }
    return this.json(res, 404, { error: 'Not Found' });
  }

  private authorizePage(url: URL, res: ServerResponse): void {
    this.counts.authorizePages++;
    const p = url.searchParams;
    const problems: string[] = [];
    if (p.get('response_type') !== 'code') problems.push('response_type must be code');
    if (p.get('client_id') !== this.keystring) problems.push('unknown client_id');
    const redirectUri = p.get('redirect_uri') ?? '';
    if (!/^https?:\/\//.test(redirectUri)) problems.push('redirect_uri missing');
    const scopes = (p.get('scope') ?? '').split(' ').filter((s) => s !== '');
    if (scopes.length === 0) problems.push('scope missing');
    if (!p.get('state')) problems.push('state missing');
    if (p.get('code_challenge_method') !== 'S256') problems.push('code_challenge_method must be S256');
    const challenge = p.get('code_challenge') ?? '';
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) problems.push('code_challenge must be a base64url SHA-256');
    if (problems.length > 0) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(problems.join('; '));
      return;
    }
    // The user approves at once: redirect back with a one-time code and the state unchanged.
    const code = randomBytes(16).toString('base64url');
    this.codes.set(code, { challenge, clientId: this.keystring, redirectUri, scopes, used: false });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', p.get('state') ?? '');
    res.writeHead(302, { location: back.href });
    res.end();
  }

  private token(req: IncomingMessage, body: string, res: ServerResponse): void {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return this.json(res, 400, { error: 'invalid_request', error_description: 'body must be form-encoded' });
    }
    const form = new URLSearchParams(body);
    if (form.get('client_id') !== this.keystring) return this.json(res, 400, { error: 'invalid_client', error_description: 'unknown client_id' });
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') {
      this.counts.tokenExchanges++;
      const code = this.codes.get(form.get('code') ?? '');
      if (!code || code.used) return this.json(res, 400, { error: 'invalid_grant', error_description: 'code is invalid or was used' });
      code.used = true;
      if (form.get('redirect_uri') !== code.redirectUri) {
        return this.json(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri does not match' });
      }
      const verifier = form.get('code_verifier') ?? '';
      const hashed = createHash('sha256').update(verifier).digest('base64url');
      if (verifier.length < 43 || hashed !== code.challenge) {
        return this.json(res, 400, { error: 'invalid_grant', error_description: 'code_verifier does not match code_challenge' });
      }
      return this.tokenAnswer(res);
    }
    if (grant === 'refresh_token') {
      this.counts.refreshes++;
      const old = form.get('refresh_token') ?? '';
      if (this.refuseRefresh || !this.refreshTokens.has(old)) {
        return this.json(res, 400, { error: 'invalid_grant', error_description: 'refresh token is invalid, expired or revoked' });
      }
      this.refreshTokens.delete(old); // rotated: a refresh token works once
      return this.tokenAnswer(res);
    }
    return this.json(res, 400, { error: 'unsupported_grant_type' });
  }

  private tokenAnswer(res: ServerResponse): void {
    const t = this.issueTokens();
    this.json(res, 200, { access_token: t.accessToken, token_type: 'Bearer', expires_in: this.tokenTtlSec, refresh_token: t.refreshToken });
  }

  /** The user id for a valid bearer token, or the error message for a 401. */
  private bearer(req: IncomingMessage): number | string {
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer (\d+)\.(\S+)$/.exec(auth);
    if (!m) return 'Missing or malformed OAuth bearer token';
    const info = this.accessTokens.get(`${m[1]}.${m[2]}`);
    if (!info) return 'invalid_token';
    if (info.expiresAt <= Date.now()) return 'invalid_token: access token expired';
    return info.userId;
  }

  private createFrom(body: string): PushConfig | string {
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      return 'body must be JSON {url, events}';
    }
    const o = (input ?? {}) as { url?: unknown; events?: unknown };
    if (typeof o.url !== 'string' || !o.url.startsWith('https://')) return 'url must be an https URL';
    if (!Array.isArray(o.events) || o.events.length === 0 || !o.events.every((e) => typeof e === 'string' && KNOWN_EVENTS.has(e))) {
      return 'events must be a non-empty array of event types';
    }
    return this.addConfig(o.url, o.events as string[]);
  }

  private pushConfigurations(method: string, id: string | undefined, url: URL, req: IncomingMessage, body: string, res: ServerResponse): void {
    if (id === undefined && method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? '25');
      const offset = Number(url.searchParams.get('offset') ?? '0');
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return this.json(res, 400, { error: 'limit must be between 1 and 100' });
      if (!Number.isInteger(offset) || offset < 0) return this.json(res, 400, { error: 'offset must be at least 0' });
      const all = [...this.configs.values()];
      return this.json(res, 200, { count: all.length, results: all.slice(offset, offset + limit) });
    }
    if (id === undefined && method === 'POST') {
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return this.json(res, 400, { error: 'content-type must be application/json' });
      }
      const created = this.createFrom(body);
      if (typeof created === 'string') return this.json(res, 400, { error: created });
      return this.json(res, 201, created);
    }
    if (id !== undefined && method === 'DELETE') {
      if (!this.configs.delete(Number(id))) return this.json(res, 404, { error: `Push configuration ${id} not found` });
      res.writeHead(204, this.rateHeaders());
      res.end();
      return;
    }
    this.json(res, 405, { error: 'Method Not Allowed' });
  }

  private rateHeaders(remainingThisSecond = 9): Record<string, string> {
    this.remainingToday = Math.max(0, this.remainingToday - 1);
    return {
      'x-limit-per-second': '10',
      'x-remaining-this-second': String(remainingThisSecond),
      'x-limit-per-day': '10000',
      'x-remaining-today': String(this.remainingToday),
    };
  }

  private json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}, remainingThisSecond = 9): void {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', ...this.rateHeaders(remainingThisSecond), ...headers });
    res.end(text);
  }
}

export async function startFakeEtsy(): Promise<FakeEtsy> {
  return new FakeEtsy().start();
}

/** Write a stored login into ETSYHOOK_HOME/config.json, as `auth login` would have. */
export function storeLogin(
  home: string,
  fake: FakeEtsy,
  overrides: Record<string, unknown> = {},
): { accessToken: string; refreshToken: string } {
  const t = fake.issueTokens();
  const config = {
    apiKey: fake.keystring,
    sharedSecret: fake.sharedSecret,
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    expiresAt: new Date(t.expiresAt).toISOString(),
    refreshExpiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString(),
    userId: fake.userId,
    shopId: fake.shopId,
    scopes: ['shops_r', 'shops_w', 'transactions_r'],
    ...overrides,
  };
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.json'), JSON.stringify(config, null, '\t'), { mode: 0o600 });
  return { accessToken: String(config.accessToken), refreshToken: String(config.refreshToken) };
}

export function readStoredConfig(home: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as Record<string, unknown>;
}

/** What a CI job sets: the app keys and a fresh access token, no stored login. */
export function tokenEnv(fake: FakeEtsy, home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const t = fake.issueTokens();
  return cleanEnv(home, {
    ETSY_API_KEY: fake.keystring,
    ETSY_SHARED_SECRET: fake.sharedSecret,
    ETSY_ACCESS_TOKEN: t.accessToken,
    ETSY_API_BASE: fake.apiBase,
    ...extra,
  });
}

export interface EtsyFixtures {
  /** A fresh fake Etsy for the test, closed when it ends. */
  fake: FakeEtsy;
  /** A CI job's environment for the test's home, logged in to the fake with a fresh token (tokenEnv), plus `extra`. */
  ciEnv: (extra?: Record<string, string | undefined>) => NodeJS.ProcessEnv;
}

/** The harness's `it` (cleanups, home, dev) with `fake` and `ciEnv`, for the tests of the commands that call Etsy. */
export const it = harness.extend<EtsyFixtures>({
  fake: async ({ cleanups }, use) => {
    const fake = await startFakeEtsy();
    cleanups.push(() => fake.close());
    await use(fake);
  },
  ciEnv: async ({ fake, home }, use) => {
    await use((extra = {}) => tokenEnv(fake, home.dir, extra));
  },
});
