// auth login's flags (typed by their Options) into LoginOptions, with the defaults.
import { DEFAULT_LOGIN_CALLBACK_PORT, DEFAULT_LOGIN_WAIT_MS } from '../../core/defaults.js';
import { DEFAULT_SCOPES } from '../../etsy/oauth.js';
import type { ApiFlags } from '../shared/etsy.js';

/** The scopes asked for by default, as --scopes takes them. */
export const DEFAULT_SCOPE_TEXT = DEFAULT_SCOPES.join(' ');

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
    port: raw.port ?? DEFAULT_LOGIN_CALLBACK_PORT,
    scopes: raw.scopes ?? DEFAULT_SCOPE_TEXT,
    browser: raw.browser !== false,
    waitMs: raw.timeout ?? DEFAULT_LOGIN_WAIT_MS,
    authorizeUrl: raw.authorizeUrl?.href,
  };
}

