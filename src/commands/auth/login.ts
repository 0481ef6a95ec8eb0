// auth login: the keystring and shared secret (flag, variable, stored, or asked on a terminal), the browser's
// approval on a local callback server, and the tokens, user id and shop id stored.
import { ConfigStore, resolveSetting } from '../../config.js';
import { DEFAULT_AUTHORIZE_URL } from '../../core/defaults.js';
import { UsageError } from '../../errors.js';
import { EtsyClient } from '../../etsy/client.js';
import * as oauth from '../../etsy/oauth.js';
import { parseMe, resolveApiBase } from '../../etsy/session.js';
import { formatDuration } from '../../format.js';
import { browserLine } from '../../ui/browser.js';
import { isCI, type Output } from '../../ui/output.js';
import type { LoginOptions } from './options.js';
import type { AuthStatus } from './status.js';

type Out = Output;

export async function login(opts: LoginOptions, out: Out): Promise<void> {
  const env = process.env;
  const apiBase = resolveApiBase(opts.apiBase, env);
  const { port, waitMs } = opts;
  const scopes = oauth.parseScopes(opts.scopes);
  const authorizeBase = opts.authorizeUrl ?? DEFAULT_AUTHORIZE_URL;

  const config = new ConfigStore(env);
  const key = await resolveSetting(opts.apiKey, 'ETSY_API_KEY', 'apiKey', config, env);
  const secret = await resolveSetting(opts.sharedSecret, 'ETSY_SHARED_SECRET', 'sharedSecret', config, env);
  const apiKey = key?.value ?? (await askOrFail(out, '--api-key', 'ETSY_API_KEY', "your Etsy app's keystring", false));
  const sharedSecret =
    secret?.value ?? (await askOrFail(out, '--shared-secret', 'ETSY_SHARED_SECRET', "your Etsy app's shared secret", true));

  const pkce = oauth.createPkce();
  const state = oauth.createState();
  const server = await oauth.startCallbackServer(port, state, (line) => out.warn(line));
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
      out.info(await browserLine(url));
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
  const prompts = await import('../../ui/prompts.js');
  const label = `${what[0]?.toUpperCase()}${what.slice(1)}:`;
  return secret ? prompts.askSecret(label) : prompts.askText(label);
}

