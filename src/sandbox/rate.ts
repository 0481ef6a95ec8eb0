// Etsy's rate-limit headers, counting down per second and per UTC day; a 429 past the limit only when enforcing.
// No imports: `etsyhook sandbox --rate-limit` parses with it before the sandbox loads.

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
