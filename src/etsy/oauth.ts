// OAuth 2.0 authorization code with PKCE (S256): the authorize URL, the local callback server, the token endpoint.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError, OperationError, UsageError } from '../errors.js';
import { closeMatches } from '../words.js';
import type { EtsyClient } from './client.js';

export const DEFAULT_AUTHORIZE_URL = 'https://www.etsy.com/oauth/connect';
export const DEFAULT_SCOPES = ['shops_r', 'shops_w', 'transactions_r'];
export const CALLBACK_PATH = '/oauth/redirect';
/** Etsy documents refresh tokens as living 90 days. */
export const REFRESH_TOKEN_LIFETIME_MS = 90 * 86_400_000;

/** The scopes Etsy's Open API v3 defines. */
export const ETSY_SCOPES = [
  'address_r', 'address_w', 'billing_r', 'cart_r', 'cart_w', 'email_r', 'favorites_r', 'favorites_w', 'feedback_r',
  'listings_d', 'listings_r', 'listings_w', 'profile_r', 'profile_w', 'recommend_r', 'recommend_w', 'shops_r',
  'shops_w', 'transactions_r', 'transactions_w',
] as const;

export interface Pkce {
  verifier: string;
  challenge: string;
}

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

export function createPkce(): Pkce {
  const verifier = base64url(randomBytes(32)); // 43 characters, within RFC 7636's 43..128
  return { verifier, challenge: challengeFor(verifier) };
}

export function challengeFor(verifier: string): string {
  return base64url(createHash('sha256').update(verifier).digest());
}

export function createState(): string {
  return base64url(randomBytes(16));
}

/** Parse `--scopes` ("shops_r shops_w" or "shops_r,shops_w") and reject names Etsy does not define. */
export function parseScopes(raw: string | undefined): string[] {
  if (raw === undefined) return [...DEFAULT_SCOPES];
  const scopes = [...new Set(raw.split(/[\s,]+/).filter((s) => s !== ''))];
  if (scopes.length === 0) throw new UsageError('--scopes is empty', `for example --scopes "${DEFAULT_SCOPES.join(' ')}"`);
  for (const s of scopes) {
    if (!(ETSY_SCOPES as readonly string[]).includes(s)) {
      const near = closeMatches(s, ETSY_SCOPES, 2);
      throw new UsageError(
        `--scopes: unknown Etsy scope '${s}'${near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : ''}`,
        `Etsy's scopes: ${ETSY_SCOPES.join(' ')}`,
      );
    }
  }
  return scopes;
}

export interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state: string;
  challenge: string;
}

export function authorizeUrl(base: string, p: AuthorizeParams): string {
  // Built by hand so the space-separated scope list is encoded as %20, as Etsy's documentation shows.
  const params: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', p.clientId],
    ['redirect_uri', p.redirectUri],
    ['scope', p.scopes.join(' ')],
    ['state', p.state],
    ['code_challenge', p.challenge],
    ['code_challenge_method', 'S256'],
  ];
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return `${base}${base.includes('?') ? '&' : '?'}${query}`;
}

export interface CallbackResult {
  code: string;
  /** Answer the browser once the code has been exchanged (or the exchange failed). */
  finish(ok: boolean, message: string): void;
}

export interface CallbackServer {
  redirectUri: string;
  /** Resolves with the code from the first callback whose state matches; rejects on timeout or a refusal. */
  waitForCode(timeoutMs: number): Promise<CallbackResult>;
  close(): Promise<void>;
}

/**
 * Listen on localhost:port for Etsy's redirect. A callback with the wrong `state` gets 400 and we keep waiting:
 * it is either a stale tab or a forgery, and neither should end the login.
 */
export async function startCallbackServer(
  port: number,
  expectedState: string,
  onNotice: (line: string) => void,
): Promise<CallbackServer> {
  const redirectUri = `http://localhost:${port}${CALLBACK_PATH}`;
  let settle: { resolve: (r: CallbackResult) => void; reject: (e: Error) => void } | undefined;
  let pending: { result?: CallbackResult; error?: Error } | undefined;
  let done = false;

  const deliver = (outcome: { result?: CallbackResult; error?: Error }): void => {
    if (done) return;
    done = true;
    if (settle) {
      if (outcome.result) settle.resolve(outcome.result);
      else settle.reject(outcome.error ?? new Error('login failed'));
    } else {
      pending = outcome;
    }
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      page(res, 404, 'Not found', `etsyhook is waiting for Etsy's redirect on ${CALLBACK_PATH}.`);
      return;
    }
    if (done) {
      page(res, 409, 'Already done', 'This login has already finished; return to the terminal.');
      return;
    }
    const state = url.searchParams.get('state');
    if (state !== expectedState) {
      onNotice('ignored a callback whose state does not match this login (a stale tab or a forged request); still waiting');
      page(res, 400, 'State does not match', 'This authorization does not belong to the login running in your terminal.');
      return;
    }
    const error = url.searchParams.get('error');
    if (error !== null) {
      const description = url.searchParams.get('error_description');
      const detail = description ? `${error}: ${description}` : error;
      page(res, 400, 'Authorization refused', `Etsy did not authorize etsyhook (${detail}).`);
      deliver({ error: new OperationError(`Etsy did not authorize etsyhook: ${oneLine(detail)}`, { hint: 'run etsyhook auth login again' }) });
      return;
    }
    const code = url.searchParams.get('code');
    if (code === null || code === '') {
      page(res, 400, 'Missing code', 'The redirect has no authorization code.');
      return;
    }
    deliver({
      result: {
        code,
        finish: (ok, message) =>
          page(res, ok ? 200 : 502, ok ? 'Logged in' : 'Login failed', `${message} You can close this tab and return to the terminal.`),
      },
    });
  };

  const servers: Server[] = [];
  const listen = (host: string): Promise<Server> =>
    new Promise((resolve, reject) => {
      const server = createServer(handler);
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  try {
    servers.push(await listen('127.0.0.1'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UsageError(
        `port ${port} is already in use, so the OAuth callback cannot be received`,
        `stop what uses it, or pass --port and add http://localhost:<port>${CALLBACK_PATH} to your app's redirect URIs`,
      );
    }
    throw err;
  }
  // Browsers may resolve localhost to ::1; listen there too when the system has IPv6.
  try {
    servers.push(await listen('::1'));
  } catch {
    /* no IPv6 loopback: 127.0.0.1 suffices */
  }

  return {
    redirectUri,
    waitForCode(timeoutMs) {
      return new Promise<CallbackResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          if (done) return;
          done = true;
          reject(
            new OperationError(`no authorization arrived within ${Math.round(timeoutMs / 1000)}s`, {
              hint: 'open the URL above in a browser and approve, or pass a longer --timeout',
            }),
          );
        }, timeoutMs);
        const wrap = {
          resolve: (r: CallbackResult) => {
            clearTimeout(timer);
            resolve(r);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        if (pending) {
          if (pending.result) wrap.resolve(pending.result);
          else wrap.reject(pending.error ?? new Error('login failed'));
        } else {
          settle = wrap;
        }
      });
    },
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><meta charset="utf-8"><title>etsyhook: ${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>\n`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
  res.end(body);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  /** ms since epoch */
  expiresAt: number;
}

function parseTokenAnswer(body: unknown): TokenSet {
  if (body === null || typeof body !== 'object') throw new OperationError('the Etsy token endpoint answered without a token');
  const o = body as Record<string, unknown>;
  if (typeof o.access_token !== 'string' || o.access_token === '') {
    throw new OperationError('the Etsy token endpoint answered without an access_token');
  }
  const expiresIn = typeof o.expires_in === 'number' && o.expires_in > 0 ? o.expires_in : 3600;
  return {
    accessToken: o.access_token,
    refreshToken: typeof o.refresh_token === 'string' && o.refresh_token !== '' ? o.refresh_token : undefined,
    expiresAt: Date.now() + expiresIn * 1000,
  };
}

export async function exchangeCode(
  client: EtsyClient,
  p: { clientId: string; redirectUri: string; code: string; verifier: string },
): Promise<TokenSet> {
  try {
    const res = await client.send('POST', '/public/oauth/token', {
      form: {
        grant_type: 'authorization_code',
        client_id: p.clientId,
        redirect_uri: p.redirectUri,
        code: p.code,
        code_verifier: p.verifier,
      },
    });
    return parseTokenAnswer(res.body);
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
      throw new ApiError(err.status, `Etsy refused the authorization code (${err.message})`, 'run etsyhook auth login again');
    }
    throw err;
  }
}

/** Trade a refresh token for new tokens; a refusal says plainly to log in again. */
export async function refreshTokens(client: EtsyClient, p: { clientId: string; refreshToken: string }): Promise<TokenSet> {
  try {
    const res = await client.send('POST', '/public/oauth/token', {
      form: { grant_type: 'refresh_token', client_id: p.clientId, refresh_token: p.refreshToken },
    });
    const tokens = parseTokenAnswer(res.body);
    // Etsy may not rotate the refresh token; keep the one we have then.
    return { ...tokens, refreshToken: tokens.refreshToken ?? p.refreshToken };
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
      throw new ApiError(err.status, `Etsy refused to refresh the access token (${err.message})`, 'run etsyhook auth login');
    }
    throw err;
  }
}
