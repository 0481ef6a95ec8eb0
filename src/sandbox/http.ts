// The sandbox's HTTP plumbing: a request read whole, its body as form or JSON, answers as JSON, Etsy's rate-limit
// headers counting down.
import type { IncomingHttpHeaders } from 'node:http';
import { ApiFailure } from './state.js';

export interface Request {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  /** JSON-encoded unless a string (then sent as text). */
  body?: unknown;
  /** A body already encoded as JSON (sent as is, as application/json). */
  raw?: string;
  headers?: Record<string, string>;
}

export function json(status: number, body: unknown): Answer {
  return { status, body };
}

/** The query string as an object (a repeated parameter becomes a list). */
export function queryOf(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** A form-encoded or JSON body as an object (Etsy takes JSON for its form-encoded operations in practice). */
export function bodyOf(req: Request): Record<string, unknown> {
  if (req.body.length === 0) return {};
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const text = req.body.toString('utf8');
  if (type.startsWith('application/json') || (!type.includes('form') && /^\s*\{/.test(text))) {
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // fall through to the 400 below
    }
    throw new ApiFailure(400, 'The request body must be a JSON object');
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const key = k.replace(/\[\]$/, '');
    const prev = out[key];
    out[key] = prev === undefined ? (k.endsWith('[]') ? [v] : v) : Array.isArray(prev) ? [...(prev as string[]), v] : [prev, v];
  }
  return out;
}

export { ETSY_RATE_LIMIT, parseRateLimit, RateCounter, type RateLimit } from './rate.js';
