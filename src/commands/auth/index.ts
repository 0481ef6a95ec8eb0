// `etsyhook auth login|status|logout`: the Etsy Open API session (OAuth 2.0 with PKCE), its tokens stored 0600.
import type { Command } from '../shared/commander.js';
import { DEFAULT_AUTHORIZE_URL, DEFAULT_LOGIN_CALLBACK_PORT, DEFAULT_LOGIN_WAIT_MS } from '../../core/defaults.js';
import { parseSecret } from '../../parse.js';
import { formatDuration } from '../../format.js';
import { context } from '../shared/context.js';
import { addApiOptions } from '../shared/etsy.js';
import { durationOption, intOption, parsedOption, urlOption } from '../shared/flags.js';
import { login } from './login.js';
import { DEFAULT_SCOPE_TEXT, parseLoginOptions, type RawLoginOptions } from './options.js';
import { logout, status, type LogoutFlags } from './status.js';

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
        DEFAULT_LOGIN_CALLBACK_PORT,
      ),
    )
    .option('--scopes <scopes>', 'space- or comma-separated OAuth scopes', DEFAULT_SCOPE_TEXT)
    .option('--no-browser', 'only print the authorize URL; do not open a browser')
    .addOption(
      durationOption('--timeout <duration>', 'how long to wait for the approval in the browser', { min: 1 }).default(
        DEFAULT_LOGIN_WAIT_MS,
        formatDuration(DEFAULT_LOGIN_WAIT_MS),
      ),
    );
  addApiOptions(loginCmd, { timeout: false })
    .addOption(urlOption('--authorize-url <url>', `Etsy's authorize page (default ${DEFAULT_AUTHORIZE_URL})`).env('ETSY_OAUTH_AUTHORIZE_URL'))
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
