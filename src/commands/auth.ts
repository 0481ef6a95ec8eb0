// `etsyhook auth login | status | logout`: OAuth with PKCE against Etsy, and what is stored about it.
import type { Command } from 'commander';
import { ConfigStore, resolveSetting } from '../config.js';
import { NotLoggedInError, UsageError } from '../errors.js';
import { isCI, mask, type Output } from '../ui/output.js';
import { context } from './common.js';
import { addApiOptions, type ApiFlags } from './etsy-shared.js';
import { durationOption, formatDuration, intOption, parsedOption, parseSecret, urlOption } from './flags.js';

const DEFAULT_CALLBACK_PORT = 3003;
const DEFAULT_LOGIN_WAIT_MS = 5 * 60_000;
const DEFAULT_SCOPES = 'shops_r shops_w transactions_r';

/** What commander hands over (values already parsed by flags.ts). */
export interface RawLoginOptions extends ApiFlags {
  apiKey?: string;
  sharedSecret?: string;
  port?: number;
  scopes?: string;
  browser?: boolean;
  timeout?: number;
  authorizeUrl?: URL;
}

export interface LoginOptions {
  apiBase: string | undefined;
  apiKey: string | undefined;
  sharedSecret: string | undefined;
  port: number;
  /** As typed: etsy/oauth.ts checks them when login runs (it loads node:http; --help should not). */
  scopes: string;
  browser: boolean;
  waitMs: number;
  /** Undefined: Etsy's own page. */
  authorizeUrl: string | undefined;
}

export function parseLoginOptions(raw: RawLoginOptions): LoginOptions {
  return {
    apiBase: raw.apiBase === undefined ? undefined : String(raw.apiBase),
    apiKey: raw.apiKey,
    sharedSecret: raw.sharedSecret,
    port: raw.port ?? DEFAULT_CALLBACK_PORT,
    scopes: raw.scopes ?? DEFAULT_SCOPES,
    browser: raw.browser !== false,
    waitMs: raw.timeout ?? DEFAULT_LOGIN_WAIT_MS,
    authorizeUrl: raw.authorizeUrl?.href,
  };
}

interface LogoutFlags {
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

export function register(program: Command): void {
  const auth = program
    .command('auth')
    .description('log in to the Etsy Open API (OAuth 2.0 with PKCE), show who is logged in, log out')
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook auth login                      open the browser, approve, tokens are stored (mode 0600)
  $ etsyhook auth status --json              {"loggedIn":true,"userId":…,"shopId":…,"scopes":[…],"expiresAt":"…"}
  $ etsyhook auth logout

In CI, set ETSY_API_KEY, ETSY_SHARED_SECRET and ETSY_ACCESS_TOKEN (optionally ETSY_REFRESH_TOKEN) instead.`,
    );

  const loginCmd = auth
    .command('login')
    .description("authorize etsyhook for your shop in the browser; stores tokens, user id and shop id")
    .addOption(parsedOption('--api-key <keystring>', "your Etsy app's keystring (env ETSY_API_KEY; prompted on a terminal)", parseSecret))
    .addOption(parsedOption('--shared-secret <secret>', "your Etsy app's shared secret (env ETSY_SHARED_SECRET; prompted on a terminal)", parseSecret))
    .addOption(
      intOption('--port <port>', 'port of the local callback server; the redirect URI is http://localhost:<port>/oauth/redirect', { min: 1, max: 65535 }).default(
        DEFAULT_CALLBACK_PORT,
      ),
    )
    .option('--scopes <scopes>', 'space- or comma-separated OAuth scopes', DEFAULT_SCOPES)
    .option('--no-browser', 'only print the authorize URL; do not open a browser')
    .addOption(
      durationOption('--timeout <duration>', 'how long to wait for the approval in the browser', { min: 1 }).default(
        DEFAULT_LOGIN_WAIT_MS,
        formatDuration(DEFAULT_LOGIN_WAIT_MS),
      ),
    );
  addApiOptions(loginCmd, { timeout: false })
    .addOption(urlOption('--authorize-url <url>', "Etsy's authorize page (default https://www.etsy.com/oauth/connect)").env('ETSY_OAUTH_AUTHORIZE_URL'))
    .addHelpText(
      'after',
      `
Add http://localhost:3003/oauth/redirect to your app's redirect URIs at https://www.etsy.com/developers/your-apps first.

Examples:
  $ etsyhook auth login
  $ ETSY_API_KEY=… ETSY_SHARED_SECRET=… etsyhook auth login --no-browser --port 4000`,
    )
    .action(async (_opts: object, cmd: Command) => {
      const { opts, out } = context<RawLoginOptions>(cmd);
      await login(parseLoginOptions(opts), out);
    });

  auth
    .command('status')
    .description('show the stored login: user id, shop id, scopes, expiry, keystring (masked); exit 2 when not logged in')
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook auth status
  $ etsyhook auth status --json | jq -r .shopId`,
    )
    .action(async (_opts: object, cmd: Command) => {
      const { out } = context<object>(cmd);
      await status(out);
    });

  auth
    .command('logout')
    .description('forget the stored tokens, user id and shop id (the keystring and shared secret stay unless --all)')
    .option('--all', 'also forget the stored keystring and shared secret')
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook auth logout
  $ etsyhook auth logout --all`,
    )
    .action(async (_opts: LogoutFlags, cmd: Command) => {
      const { opts, out } = context<LogoutFlags>(cmd);
      await logout(opts, out);
    });
}

type Out = Output;

async function login(opts: LoginOptions, out: Out): Promise<void> {
  const env = process.env;
  const oauth = await import('../etsy/oauth.js');
  const { resolveApiBase, parseMe } = await import('../etsy/session.js');
  const apiBase = resolveApiBase(opts.apiBase, env);
  const { port, waitMs } = opts;
  const scopes = oauth.parseScopes(opts.scopes);
  const authorizeBase = opts.authorizeUrl ?? oauth.DEFAULT_AUTHORIZE_URL;

  const config = new ConfigStore(env);
  const key = await resolveSetting(opts.apiKey, 'ETSY_API_KEY', 'apiKey', config, env);
  const secret = await resolveSetting(opts.sharedSecret, 'ETSY_SHARED_SECRET', 'sharedSecret', config, env);
  const apiKey = key?.value ?? (await askOrFail(out, '--api-key', 'ETSY_API_KEY', "your Etsy app's keystring", false));
  const sharedSecret =
    secret?.value ?? (await askOrFail(out, '--shared-secret', 'ETSY_SHARED_SECRET', "your Etsy app's shared secret", true));

  const pkce = oauth.createPkce();
  const state = oauth.createState();
  const server = await oauth.startCallbackServer(port, state, (line) => out.warn(line));
  const { EtsyClient } = await import('../etsy/client.js');
  const client = new EtsyClient({ apiBase, apiKey, sharedSecret, env, log: (l) => out.debug(l), onNotice: (l) => out.warn(l) });
  try {
    const url = oauth.authorizeUrl(authorizeBase, {
      clientId: apiKey,
      redirectUri: server.redirectUri,
      scopes,
      state,
      challenge: pkce.challenge,
    });
    out.info(`Open this URL in a browser and approve access (${scopes.join(' ')}):`);
    out.info(`  ${url}`);
    if (opts.browser && !isCI()) {
      out.info(await (await import('../ui/browser.js')).browserLine(url));
    }
    // A plain line rather than a spinner: notices about stray callbacks may arrive while we wait.
    out.info(`Waiting for Etsy to redirect to ${server.redirectUri} (up to ${formatDuration(waitMs)}; Ctrl-C to stop)`);
    const callback = await server.waitForCode(waitMs);
    let me;
    let tokens;
    try {
      tokens = await oauth.exchangeCode(client, { clientId: apiKey, redirectUri: server.redirectUri, code: callback.code, verifier: pkce.verifier });
      me = parseMe((await client.send('GET', '/application/users/me', { bearer: tokens.accessToken })).body);
      callback.finish(true, 'etsyhook is now authorized.');
    } catch (err) {
      callback.finish(false, `etsyhook could not finish the login: ${err instanceof Error ? err.message : String(err)}.`);
      throw err;
    }

    const expiresAt = new Date(tokens.expiresAt).toISOString();
    await config.set({
      // Keys typed in (flag or prompt) are remembered; ones from the environment stay there.
      ...(key?.source !== 'env' ? { apiKey } : {}),
      ...(secret?.source !== 'env' ? { sharedSecret } : {}),
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt,
      refreshExpiresAt: tokens.refreshToken ? new Date(Date.now() + oauth.REFRESH_TOKEN_LIFETIME_MS).toISOString() : undefined,
      userId: me.userId,
      shopId: me.shopId,
      scopes,
    });
    const result: AuthStatus = { loggedIn: true, userId: me.userId, shopId: me.shopId ?? null, scopes, expiresAt };
    if (out.json) out.data(result);
    out.success(
      `Logged in to Etsy as user ${me.userId}${me.shopId !== undefined ? ` (shop ${me.shopId})` : ' (no shop)'}; ` +
        `the token is refreshed automatically`,
    );
    if (env.ETSY_ACCESS_TOKEN) out.warn('ETSY_ACCESS_TOKEN is set and takes precedence over this login; unset it to use the stored one');
  } finally {
    await server.close();
    await client.close();
  }
}

async function askOrFail(out: Out, flag: string, envName: string, what: string, secret: boolean): Promise<string> {
  if (!out.interactive) {
    throw new UsageError(`${what} is required: pass ${flag} or set ${envName}`, 'find both at https://www.etsy.com/developers/your-apps');
  }
  const prompts = await import('../ui/prompts.js');
  const label = `${what[0]?.toUpperCase()}${what.slice(1)}:`;
  return secret ? prompts.askSecret(label) : prompts.askText(label);
}

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

async function status(out: Out): Promise<void> {
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
      ['Expires', s.expiresAt === null ? 'unknown' : `${s.expiresAt} (${relative(Date.parse(s.expiresAt))})`],
      ['Keystring', keystring ? `${mask(keystring.value)} (${keystring.source})` : '(none)'],
      ['Config file', configPath],
    ];
    for (const [k, v] of rows) out.line(`${`${k}:`.padEnd(13)}${v}`);
  }
  if (notLoggedIn) throw notLoggedIn;
}

function relative(at: number): string {
  const diff = at - Date.now();
  const mins = Math.round(Math.abs(diff) / 60_000);
  const span = mins < 120 ? `${mins} min` : mins < 2880 ? `${Math.round(mins / 60)} h` : `${Math.round(mins / 1440)} days`;
  return diff >= 0 ? `in ${span}` : `${span} ago; refreshed on the next call`;
}

async function logout(opts: LogoutFlags, out: Out): Promise<void> {
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
