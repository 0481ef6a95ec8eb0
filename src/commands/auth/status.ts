// auth status and logout: who is logged in (stored tokens, or the ETSY_* variables CI sets), and forgetting it.
import { ConfigStore } from '../../config.js';
import { formatUntil } from '../../format.js';
import { NotLoggedInError } from '../../errors.js';
import { mask, type Output } from '../../ui/output.js';

export interface LogoutFlags {
  all?: boolean;
}

export interface AuthStatus {
  loggedIn: boolean;
  userId: number | null;
  shopId: number | null;
  scopes: string[];
  /** ISO 8601, or null when unknown (a token from ETSY_ACCESS_TOKEN). */
  expiresAt: string | null;
}

type Out = Output;

async function currentStatus(): Promise<{ status: AuthStatus; keystring: { value: string; source: string } | undefined; detail: string; configPath: string }> {
  const env = process.env;
  const config = new ConfigStore(env);
  const stored = await config.all();
  const configPath = await config.path();
  const keystring = env.ETSY_API_KEY
    ? { value: env.ETSY_API_KEY, source: 'ETSY_API_KEY' }
    : stored.apiKey
      ? { value: stored.apiKey, source: 'stored' }
      : undefined;
  const haveSecret = Boolean(env.ETSY_SHARED_SECRET || stored.sharedSecret);

  if (env.ETSY_ACCESS_TOKEN || env.ETSY_REFRESH_TOKEN) {
    const token = env.ETSY_ACCESS_TOKEN ?? '';
    const prefix = Number(token.split('.')[0]);
    const status: AuthStatus = {
      loggedIn: Boolean(keystring && haveSecret),
      userId: Number.isSafeInteger(prefix) && prefix > 0 ? prefix : null,
      shopId: env.ETSY_SHOP_ID && /^\d+$/.test(env.ETSY_SHOP_ID) ? Number(env.ETSY_SHOP_ID) : null,
      scopes: [],
      expiresAt: null,
    };
    return { status, keystring, detail: 'token from ETSY_ACCESS_TOKEN', configPath };
  }

  const now = Date.now();
  const expires = stored.expiresAt ? Date.parse(stored.expiresAt) : NaN;
  const refreshExpires = stored.refreshExpiresAt ? Date.parse(stored.refreshExpiresAt) : NaN;
  const accessValid = Boolean(stored.accessToken) && (Number.isNaN(expires) || expires > now);
  const canRefresh = Boolean(stored.refreshToken) && (Number.isNaN(refreshExpires) || refreshExpires > now);
  const status: AuthStatus = {
    loggedIn: Boolean(keystring && haveSecret) && (accessValid || canRefresh),
    userId: stored.userId ?? null,
    shopId: stored.shopId ?? null,
    scopes: stored.scopes ?? [],
    expiresAt: stored.expiresAt ?? null,
  };
  let detail = 'stored login';
  if (!stored.accessToken && !stored.refreshToken) detail = 'no stored login';
  else if (!accessValid && canRefresh) detail = 'stored login; the access token has expired and is refreshed on the next call';
  else if (!accessValid) detail = 'the stored login has expired';
  return { status, keystring, detail, configPath };
}

export async function status(out: Out): Promise<void> {
  const { status: s, keystring, detail, configPath } = await currentStatus();
  // Not logged in is a missing input (log in, or set the variables): exit 2, as configs and events --expand say it.
  const notLoggedIn = s.loggedIn ? undefined : new NotLoggedInError(!keystring ? 'no keystring (ETSY_API_KEY)' : detail);
  if (out.json) {
    // One JSON value on stdout: the status, with the error inside when there is one.
    out.data(notLoggedIn ? { ...s, error: { message: `${notLoggedIn.message}; ${notLoggedIn.hint}`, code: notLoggedIn.code } } : s);
  } else if (s.loggedIn) {
    const rows: [string, string][] = [
      ['Logged in', `yes (${detail})`],
      ['User id', s.userId === null ? 'unknown' : String(s.userId)],
      ['Shop id', s.shopId === null ? 'unknown (looked up on first use)' : String(s.shopId)],
      ['Scopes', s.scopes.length > 0 ? s.scopes.join(' ') : 'unknown'],
      ['Expires', s.expiresAt === null ? 'unknown' : `${s.expiresAt} (${formatUntil(Date.parse(s.expiresAt))})`],
      ['Keystring', keystring ? `${mask(keystring.value)} (${keystring.source})` : '(none)'],
      ['Config file', configPath],
    ];
    for (const [k, v] of rows) out.line(`${`${k}:`.padEnd(13)}${v}`);
  }
  if (notLoggedIn) throw notLoggedIn;
}

export async function logout(opts: LogoutFlags, out: Out): Promise<void> {
  const config = new ConfigStore(process.env);
  const stored = await config.all();
  const keys = ['accessToken', 'refreshToken', 'expiresAt', 'refreshExpiresAt', 'userId', 'shopId', 'scopes'] as const;
  const forget = [...keys, ...(opts.all ? (['apiKey', 'sharedSecret'] as const) : [])];
  const present = forget.filter((k) => stored[k] !== undefined);
  await config.delete(...forget);
  if (out.json) out.data({ loggedOut: true, forgot: present });
  if (present.length === 0) out.info('Nothing stored to forget: not logged in.');
  else out.success(`Logged out: forgot the stored ${opts.all ? 'tokens and app keys' : 'tokens'} (${await config.path()})`);
  if (process.env.ETSY_ACCESS_TOKEN) out.warn('ETSY_ACCESS_TOKEN is still set in the environment and is used by etsyhook');
}
