// configs create/delete: the rules across their flags, and the checks of a delivery URL and event types.
import { UsageError } from '../../errors.js';
import { closeMatches, isKnownName } from '../../core/events/catalog.js';
import { splitList } from '../../parse.js';
import { type GlobalOptions } from '../shared/context.js';
import { type ApiFlags } from '../shared/etsy.js';

export const URL_EXAMPLE = 'for example --url https://example.com/etsy/webhooks';
export const EVENTS_EXAMPLE = 'for example --events order.paid,order.shipped';

export interface RawCreateOptions extends ApiFlags, GlobalOptions {
  url?: string;
  events?: string[];
}

export interface CreateOptions {
  /** Undefined: asked for on a terminal. */
  url: string | undefined;
  events: string[] | undefined;
  api: ApiFlags;
}

/** Check what was typed before anything else, so a typo fails fast and without a network call. */
export function parseCreateOptions(raw: RawCreateOptions, interactive: boolean): CreateOptions {
  if (!interactive) {
    if (raw.url === undefined) throw new UsageError('--url is required when not on an interactive terminal', URL_EXAMPLE);
    if (raw.events === undefined) throw new UsageError('--events is required when not on an interactive terminal', EVENTS_EXAMPLE);
  }
  return { url: raw.url, events: raw.events, api: apiFlags(raw) };
}

export interface RawDeleteOptions extends ApiFlags, GlobalOptions {
  yes?: boolean;
}

export interface DeleteOptions {
  id: string;
  yes: boolean;
  json: boolean;
  api: ApiFlags;
}

export function parseDeleteOptions(id: string, raw: RawDeleteOptions, interactive: boolean): DeleteOptions {
  const trimmed = id.trim();
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed)) throw new UsageError(`<id> must be a push configuration id such as 123456, got '${id}'`, 'see etsyhook configs list');
  if (!raw.yes && !interactive) throw new UsageError('configs delete needs --yes when not on an interactive terminal');
  return { id: trimmed, yes: raw.yes ?? false, json: raw.json ?? false, api: apiFlags(raw) };
}

export function apiFlags(raw: ApiFlags): ApiFlags {
  const { apiBase, timeout, shop } = raw;
  return { ...(apiBase === undefined ? {} : { apiBase }), ...(timeout === undefined ? {} : { timeout }), ...(shop === undefined ? {} : { shop }) };
}

/** An https URL Etsy can deliver to; the message for the prompt, or true. */
export function checkUrl(raw: string): true | string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return `not a valid URL: '${raw}'`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) return `Etsy delivers only to https URLs, got '${raw}'`;
  return true;
}

export function parseDeliveryUrl(raw: string, name: string): string {
  const ok = checkUrl(raw);
  if (ok !== true) throw new UsageError(`${name}: ${ok}`, URL_EXAMPLE);
  return raw.trim();
}

/** Event types Etsy knows, de-duplicated; an unknown one names the nearest. */
export function parseEventTypes(raw: string, name: string, previous: string[] = []): string[] {
  const names = splitList(raw);
  if (names.length === 0) throw new UsageError(`${name} is empty`, EVENTS_EXAMPLE);
  for (const n of names) {
    if (!isKnownName(n)) {
      const near = closeMatches(n);
      throw new UsageError(`${name}: unknown event type '${n}'${near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : ''}`, 'see etsyhook events types');
    }
  }
  return [...new Set([...previous, ...names])];
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** An http:// loopback URL is fine against a loopback API base (etsyhook sandbox); Etsy itself needs https. */
export function checkLoopbackPair(url: string, apiBase: string): void {
  if (new URL(url).protocol === 'https:' || isLoopback(new URL(apiBase))) return;
  throw new UsageError(`--url: Etsy delivers only to https URLs, got '${url}'`, 'an http:// loopback URL works only against a local API base such as etsyhook sandbox');
}
