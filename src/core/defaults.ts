// Every default a user can see in --help, defined once: the core uses them, and commands show and parse them,
// without loading the core (this module imports nothing, so --help stays fast).

/** Receiver: the address `dev` listens on and the path that receives webhooks. */
export const DEFAULT_DEV_HOST = '127.0.0.1';
export const DEFAULT_DEV_PORT = 5000;
export const DEFAULT_WEBHOOK_PATH = '/webhook';
/** `serve`, the production receiver: every interface, the usual port behind a load balancer. */
export const DEFAULT_SERVE_HOST = '0.0.0.0';
export const DEFAULT_SERVE_PORT = 8080;
/** Largest body accepted (1 MiB). */
export const DEFAULT_MAX_BODY = 1024 * 1024;
/** Signed timestamps further off than this are rejected. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Delivery: whole-request deadline of one attempt, attempts before an event is dead, requests in flight at once. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_CONCURRENCY = 16;
/** A worker takes over an event another worker took and has not settled after this long (it died). */
export const DEFAULT_CLAIM_AFTER_MS = 60_000;

/** What `serve`, `worker` and `dev --queue` keep of the history in Redis: a week, and at most a million events. */
export const DEFAULT_RETENTION: { readonly ms: number; readonly count: number } = { ms: 7 * 86_400_000, count: 1_000_000 };

/** `auth login`: the local callback server's port (http://localhost:3003/oauth/redirect), and how long to wait. */
export const DEFAULT_LOGIN_CALLBACK_PORT = 3003;
export const DEFAULT_LOGIN_WAIT_MS = 5 * 60_000;

/** The Etsy Open API: its base URL, a request's deadline, and the page where a user approves etsyhook. */
export const DEFAULT_API_BASE = 'https://api.etsy.com/v3';
export const DEFAULT_API_TIMEOUT_MS = 30_000;
export const DEFAULT_AUTHORIZE_URL = 'https://www.etsy.com/oauth/connect';

/** The web inspector (`inspect`, and `dev` beside its receiver); the next free port when taken. */
export const DEFAULT_INSPECT_PORT = 4040;

/** Where `send` and `replay` go when no target is given: a `dev` on its defaults. */
export const DEFAULT_LOCAL_TARGET = `http://${DEFAULT_DEV_HOST}:${DEFAULT_DEV_PORT}${DEFAULT_WEBHOOK_PATH}`;

/** `etsyhook sandbox` and `dev --sandbox` serve the local Etsy here. */
export const DEFAULT_SANDBOX_PORT = 5100;
