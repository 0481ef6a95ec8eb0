// The Etsy Open API v3 over undici: auth headers, timeouts, retries that never repeat a POST, rate limits, proxies.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { ApiError, OperationError } from '../errors.js';
import { networkFailure, systemCode } from '../net-errors.js';

export const DEFAULT_API_BASE = 'https://api.etsy.com/v3';
export const DEFAULT_TIMEOUT_MS = 30_000;
/** The longest `retry-after` we wait for; beyond it the command fails and says when to try again. */
export const MAX_RETRY_AFTER_MS = 60_000;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface EtsyClientOptions {
  apiBase: string;
  apiKey: string;
  sharedSecret: string;
  env?: NodeJS.ProcessEnv;
  /** Per-request timeout: headers and body must both arrive within it. */
  timeoutMs?: number;
  /** Verbose lines (requests, rate limits); secrets are masked before they get here. */
  log?: (line: string) => void;
  /** Lines the user should always see (waiting for a rate limit, retrying). */
  onNotice?: (line: string) => void;
  /** Retries of idempotent requests after 5xx or network errors, and of any request after 429. */
  maxRetries?: number;
  /** Backoff base for 5xx/network retries; tests may shorten it. */
  backoffBaseMs?: number;
}

export interface RequestOptions {
  /** A bearer token for user requests (`<user_id>.<token>`), or undefined for application-only calls. */
  bearer?: string | undefined;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: Record<string, string>;
}

export interface EtsyResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined for an empty body. */
  body: unknown;
}

/** What a failed attempt looked like, for the retry decision. */
type Attempt =
  | { kind: 'response'; response: EtsyResponse }
  | { kind: 'network'; error: Error; timedOut: boolean };

export class EtsyClient {
  readonly apiBase: string;
  private readonly apiKey: string;
  private readonly sharedSecret: string;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly notice: (line: string) => void;
  private readonly maxRetries: number;
  private readonly backoffBaseMs: number;
  private readonly dispatcher: Dispatcher;

  constructor(options: EtsyClientOptions) {
    this.apiBase = options.apiBase.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.sharedSecret = options.sharedSecret;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.log = options.log ?? (() => {});
    // The client never prints: commands pass onNotice (to stderr); without one, notices are dropped.
    this.notice = options.onNotice ?? (() => {});
    this.maxRetries = options.maxRetries ?? 3;
    this.backoffBaseMs = options.backoffBaseMs ?? 300;
    this.dispatcher = makeDispatcher(options.env ?? process.env, this.log);
  }

  /** Close idle keep-alive sockets so the process can exit promptly. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** An absolute URL for a path under the API base (`/application/users/me`). */
  url(path: string, query?: RequestOptions['query']): URL {
    const url = new URL(`${this.apiBase}${path.startsWith('/') ? path : `/${path}`}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /**
   * Send a request and return the parsed answer; non-2xx answers become ApiError.
   * 429 is retried after `retry-after` (any method: Etsy refused it, so nothing happened);
   * 5xx, timeouts and network errors are retried only for GET and DELETE, never for POST.
   */
  async send(method: HttpMethod, target: string | URL, options: RequestOptions = {}): Promise<EtsyResponse> {
    const url = typeof target === 'string' ? this.url(target, options.query) : target;
    const idempotent = method === 'GET' || method === 'DELETE' || method === 'PUT';
    for (let attempt = 0; ; attempt++) {
      const result = await this.attempt(method, url, options);
      const retriesLeft = attempt < this.maxRetries;
      if (result.kind === 'network') {
        if (idempotent && retriesLeft) {
          const wait = this.backoff(attempt);
          this.notice(`${describeNetworkError(result.error, url, this.timeoutMs, result.timedOut)}; retrying in ${formatMs(wait)}`);
          await sleep(wait);
          continue;
        }
        throw networkFailureError(method, url, result.error, this.timeoutMs, result.timedOut);
      }
      const { response } = result;
      if (response.status >= 200 && response.status < 300) return response;
      if (response.status === 429) {
        const wait = retryAfterMs(response.headers['retry-after']);
        if (retriesLeft && wait <= MAX_RETRY_AFTER_MS) {
          this.notice(`Etsy rate limit reached; waiting ${formatMs(wait)} before retrying`);
          await sleep(wait);
          continue;
        }
        throw new ApiError(429, `${errorMessage(response)}; Etsy asks to retry after ${formatMs(wait)}`, rateLimitHint(response));
      }
      if (response.status >= 500 && idempotent && retriesLeft) {
        const wait = Math.min(Math.max(this.backoff(attempt), retryAfterMs(response.headers['retry-after'], 0)), MAX_RETRY_AFTER_MS);
        this.notice(`Etsy answered ${response.status} to ${method} ${url.pathname}; retrying in ${formatMs(wait)}`);
        await sleep(wait);
        continue;
      }
      if (response.status >= 500 && method === 'POST') {
        throw new ApiError(response.status, errorMessage(response), 'not retried automatically, as the request may have taken effect');
      }
      throw new ApiError(response.status, errorMessage(response));
    }
  }

  private backoff(attempt: number): number {
    // Exponential backoff with jitter: half fixed, half random, so parallel clients spread out.
    const ceiling = Math.min(this.backoffBaseMs * 2 ** attempt, 8_000);
    return Math.round(ceiling / 2 + randomInt(0, Math.max(1, Math.round(ceiling / 2))));
  }

  private async attempt(method: HttpMethod, url: URL, options: RequestOptions): Promise<Attempt> {
    const headers: Record<string, string> = {
      'x-api-key': `${this.apiKey}:${this.sharedSecret}`,
      accept: 'application/json',
      'user-agent': 'etsyhook',
    };
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    let body: string | undefined;
    let bodyNote = '';
    if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
      bodyNote = options.form.grant_type ? ` (form: grant_type=${options.form.grant_type})` : ' (form)';
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
      bodyNote = ` ${body}`;
    }
    const shownAuth = options.bearer !== undefined ? `, authorization: Bearer ${maskToken(options.bearer)}` : '';
    this.log(`→ ${method} ${url.href}${bodyNote} (x-api-key: ${maskKey(this.apiKey)}:••••${shownAuth})`);

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const started = Date.now();
    try {
      const res = await request(url, {
        method,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: controller.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await res.body.text();
      const response: EtsyResponse = { status: res.statusCode, headers: res.headers, body: parseBody(text, res.statusCode) };
      this.log(`← ${res.statusCode} ${method} ${url.pathname} in ${Date.now() - started} ms${rateLimitNote(res.headers)}`);
      return { kind: 'response', response };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.log(`← ${method} ${url.pathname} failed after ${Date.now() - started} ms: ${timedOut ? 'timed out' : (systemCode(error) ?? error.message)}`);
      return { kind: 'network', error, timedOut };
    } finally {
      clearTimeout(timer);
    }
  }
}

function makeDispatcher(env: NodeJS.ProcessEnv, log: (line: string) => void): Dispatcher {
  const httpProxy = env.http_proxy || env.HTTP_PROXY || '';
  const httpsProxy = env.https_proxy || env.HTTPS_PROXY || '';
  if (httpProxy === '' && httpsProxy === '') return new Agent();
  const noProxy = env.no_proxy || env.NO_PROXY || '';
  log(`using proxy ${redactUrl(httpsProxy || httpProxy)}${noProxy ? ` (NO_PROXY=${noProxy})` : ''}`);
  // Empty strings, not undefined: undici would otherwise read process.env itself, ignoring the env we were given.
  return new EnvHttpProxyAgent({ httpProxy, httpsProxy: httpsProxy || httpProxy, noProxy });
}

function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '••••';
    return u.href;
  } catch {
    return raw;
  }
}

function parseBody(text: string, status: number): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (status >= 200 && status < 300) throw new OperationError(`the Etsy API answered ${status} with a body that is not JSON`);
    return text;
  }
}

/** `{"error": "..."}` (plus OAuth's `error_description`) as one line with the status. */
export function errorMessage(response: EtsyResponse): string {
  const b = response.body;
  let detail: string | undefined;
  if (b !== null && typeof b === 'object' && !Array.isArray(b)) {
    const o = b as Record<string, unknown>;
    const parts = [o.error, o.error_description].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
    if (parts.length > 0) detail = parts.join(': ');
  } else if (typeof b === 'string' && b.trim() !== '' && b.length < 200 && !/<[a-z!]/i.test(b)) {
    detail = b;
  }
  const oneLine = detail?.replace(/\s+/g, ' ').trim().slice(0, 300);
  return oneLine ? `Etsy API error ${response.status}: ${oneLine}` : `Etsy API answered ${response.status}`;
}

function rateLimitHint(response: EtsyResponse): string | undefined {
  const today = header(response.headers, 'x-remaining-today');
  return today === '0' ? "the app's daily request limit is used up" : undefined;
}

export function header(headers: EtsyResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function rateLimitNote(headers: EtsyResponse['headers']): string {
  const perSecond = header(headers, 'x-limit-per-second');
  const leftSecond = header(headers, 'x-remaining-this-second');
  const perDay = header(headers, 'x-limit-per-day');
  const leftToday = header(headers, 'x-remaining-today');
  const parts: string[] = [];
  if (leftSecond !== undefined) parts.push(`${leftSecond}/${perSecond ?? '?'} this second`);
  if (leftToday !== undefined) parts.push(`${leftToday}/${perDay ?? '?'} today`);
  return parts.length > 0 ? ` · rate limit left: ${parts.join(', ')}` : '';
}

/** `retry-after` in seconds (or an HTTP date) as milliseconds; a missing or odd value means one second. */
export function retryAfterMs(raw: string | string[] | undefined, fallbackMs = 1000): number {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return fallbackMs;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  return fallbackMs;
}

function describeNetworkError(err: Error, url: URL, timeoutMs: number, timedOut: boolean): string {
  const failure = networkFailure(err, { timedOut });
  if (failure?.code === 'timeout') return `no answer from ${url.host} within ${formatMs(timeoutMs)}`;
  return `cannot reach ${url.host} (${failure?.system ?? systemCode(err) ?? err.message})`;
}

function networkFailureError(method: HttpMethod, url: URL, err: Error, timeoutMs: number, timedOut: boolean): OperationError {
  const what = describeNetworkError(err, url, timeoutMs, timedOut);
  const hint =
    method === 'POST'
      ? 'not retried automatically, as the request may have reached Etsy'
      : 'check the network, a proxy (HTTPS_PROXY), or --api-base / ETSY_API_BASE';
  return new OperationError(`${method} ${url.pathname} failed: ${what}`, { hint, cause: err, code: networkFailure(err, { timedOut })?.code ?? 'failed' });
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}

/** Keystrings are not secret on their own, but show only their ends anyway. */
export function maskKey(key: string): string {
  return key.length <= 8 ? '••••' : `${key.slice(0, 4)}…${key.slice(-2)}`;
}

/** Access tokens are `<user_id>.<secret>`: the user id is fine to show, the secret is not. */
export function maskToken(token: string): string {
  const dot = token.indexOf('.');
  return dot > 0 ? `${token.slice(0, dot)}.••••` : '••••';
}
