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

export interface RateLimit {
  perSecond: number;
  perDay: number;
}

/** Etsy's published defaults, shown in the headers when no --rate-limit is given. */
export const ETSY_RATE_LIMIT: RateLimit = { perSecond: 10, perDay: 10_000 };

/** Counts requests per second and per UTC day; refuses past the limit only when enforcing. */
export class RateCounter {
  private second = 0;
  private inSecond = 0;
  private day = 0;
  private inDay = 0;

  constructor(
    private readonly limit: RateLimit,
    private readonly enforce: boolean,
  ) {}

  /** Count one request: its headers, and the retry-after (seconds) when it is over the limit. */
  take(now = Date.now()): { headers: Record<string, string>; retryAfter?: number } {
    const second = Math.floor(now / 1000);
    const day = Math.floor(now / 86_400_000);
    if (second !== this.second) {
      this.second = second;
      this.inSecond = 0;
    }
    if (day !== this.day) {
      this.day = day;
      this.inDay = 0;
    }
    const over = this.enforce && (this.inSecond >= this.limit.perSecond || this.inDay >= this.limit.perDay);
    if (!over) {
      this.inSecond++;
      this.inDay++;
    }
    const headers = {
      'x-limit-per-second': String(this.limit.perSecond),
      'x-remaining-this-second': String(Math.max(0, this.limit.perSecond - this.inSecond)),
      'x-limit-per-day': String(this.limit.perDay),
      'x-remaining-today': String(Math.max(0, this.limit.perDay - this.inDay)),
    };
    if (!over) return { headers };
    const retryAfter = this.inDay >= this.limit.perDay ? Math.ceil(((day + 1) * 86_400_000 - now) / 1000) : 1;
    return { headers, retryAfter };
  }
}

/** `10/s,10000/d` (either part may be left out). */
export function parseRateLimit(raw: string): RateLimit | undefined {
  const out = { ...ETSY_RATE_LIMIT };
  for (const part of raw.split(',').map((p) => p.trim())) {
    const m = /^(\d+)\s*\/\s*(s|d)$/i.exec(part);
    if (!m || Number(m[1]) < 1) return undefined;
    if (m[2]!.toLowerCase() === 's') out.perSecond = Number(m[1]);
    else out.perDay = Number(m[1]);
  }
  return out;
}
