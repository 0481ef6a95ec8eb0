// Auth as Etsy does it: `x-api-key: keystring:shared_secret` on every /v3/application request, OAuth bearer tokens
// `<user_id>.<random>` carrying scopes, and OAuth 2.0 with PKCE (S256) at /oauth/connect and /v3/public/oauth/token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Answer, Request } from './http.js';
import { bodyOf, json, queryOf } from './http.js';
import { authorizeQuery, tokenForm } from './schemas.js';
import { ApiFailure, type CodeGrant, type TokenGrant } from './state.js';
import { mintToken } from './model.js';
import type { SandboxCore } from './api.js';

export const ACCESS_TOKEN_SECONDS = 3600;
export const REFRESH_TOKEN_SECONDS = 90 * 86_400;
export const CODE_SECONDS = 600;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** 401 unless the request carries this app's `keystring:shared_secret`. */
export function checkApiKey(core: SandboxCore, req: Request): void {
  const raw = req.headers['x-api-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || key === '') throw new ApiFailure(401, 'Missing x-api-key header');
  const colon = key.indexOf(':');
  if (colon < 0) throw new ApiFailure(401, 'x-api-key must be keystring:shared_secret (a keystring alone is refused)');
  const { keystring, sharedSecret } = core.state.app;
  if (!same(key.slice(0, colon), keystring) || !same(key.slice(colon + 1), sharedSecret)) throw new ApiFailure(401, 'Invalid API key');
}

/** The user of a valid bearer token carrying `scope`: 401 without, bad or expired; 403 without the scope. */
export function bearerUser(core: SandboxCore, req: Request, scope: string): number {
  const m = /^Bearer\s+(\d+)\.(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) throw new ApiFailure(401, 'Missing or malformed OAuth bearer token (Authorization: Bearer <user_id>.<token>)');
  const grant = core.state.tokens.get(`${m[1]}.${m[2]}`);
  if (!grant || grant.kind !== 'access' || grant.userId !== Number(m[1])) throw new ApiFailure(401, 'invalid_token');
  if (grant.expiresAt !== null && grant.expiresAt <= Date.now()) throw new ApiFailure(401, 'invalid_token: the access token has expired');
  if (!grant.scopes.includes(scope)) throw new ApiFailure(403, `insufficient_scope: this operation needs the ${scope} scope`);
  return grant.userId;
}

/** GET /oauth/connect: approves at once and redirects back with a single-use code and the state. */
export async function authorize(core: SandboxCore, req: Request): Promise<Answer> {
  const r = authorizeQuery.safeParse(queryOf(req.url));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { status: 400, body: `Invalid authorization request: ${issue.path.join('.')}: ${issue.message}`, headers: { 'content-type': 'text/plain; charset=utf-8' } };
  }
  const q = r.data;
  if (q.client_id !== core.state.app.keystring) return { status: 400, body: 'Invalid authorization request: unknown client_id', headers: { 'content-type': 'text/plain; charset=utf-8' } };
  const code: CodeGrant = {
    code: randomBytes(24).toString('base64url'),
    clientId: q.client_id,
    redirectUri: q.redirect_uri,
    challenge: q.code_challenge,
    scopes: q.scope.split(/[\s+]+/).filter((s) => s !== ''),
    expiresAt: Date.now() + CODE_SECONDS * 1000,
    used: false,
  };
  await core.commit({ codes: [code] });
  const back = new URL(q.redirect_uri);
  back.searchParams.set('code', code.code);
  back.searchParams.set('state', q.state);
  return { status: 302, headers: { location: back.href } };
}

function oauthError(error: string, description: string): Answer {
  return json(400, { error, error_description: description });
}

/** POST /v3/public/oauth/token: authorization_code (verifier checked) or refresh_token. */
export async function token(core: SandboxCore, req: Request): Promise<Answer> {
  const r = tokenForm.safeParse(bodyOf(req));
  if (!r.success) return oauthError('invalid_request', `${r.error.issues[0]!.path.join('.') || 'grant_type'}: ${r.error.issues[0]!.message}`);
  const f = r.data;
  if (f.client_id !== core.state.app.keystring) return oauthError('invalid_client', 'unknown client_id');
  if (f.grant_type === 'authorization_code') {
    const code = core.state.codes.get(f.code);
    if (!code || code.used || code.expiresAt <= Date.now()) return oauthError('invalid_grant', 'the code is invalid, expired or was used');
    await core.commit({ codes: [{ ...code, used: true }] });
    if (code.redirectUri !== f.redirect_uri) return oauthError('invalid_grant', 'redirect_uri does not match the authorization request');
    const hashed = createHash('sha256').update(f.code_verifier).digest('base64url');
    if (f.code_verifier.length < 43 || hashed !== code.challenge) return oauthError('invalid_grant', 'code_verifier does not match code_challenge');
    return issue(core, code.scopes);
  }
  const old = core.state.tokens.get(f.refresh_token);
  if (!old || old.kind !== 'refresh' || (old.expiresAt !== null && old.expiresAt <= Date.now())) {
    return oauthError('invalid_grant', 'the refresh token is invalid or expired');
  }
  // The old refresh token stays valid; the new tokens keep its scopes.
  return issue(core, old.scopes);
}

async function issue(core: SandboxCore, scopes: string[]): Promise<Answer> {
  const userId = core.state.app.userId;
  const now = Date.now();
  const access: TokenGrant = { token: mintToken(userId), kind: 'access', userId, scopes, expiresAt: now + ACCESS_TOKEN_SECONDS * 1000 };
  const refresh: TokenGrant = { token: mintToken(userId), kind: 'refresh', userId, scopes, expiresAt: now + REFRESH_TOKEN_SECONDS * 1000 };
  await core.commit({ tokens: [access, refresh] });
  return json(200, { access_token: access.token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS, refresh_token: refresh.token });
}
