// One description of network failures (a request that got no answer), low in the layers: Node's and undici's codes
// mapped to the documented lower-case codes scripts see in `--json` errors, and the short reason a delivery attempt
// records. Every sender (forwarding, replay, the worker, `send`, the Etsy client) and src/cli.ts use it.

/** The codes, as the README lists them. */
export const NETWORK_ERROR_CODES = ['unreachable', 'timeout', 'reset', 'dns', 'tls', 'interrupted'] as const;
export type NetworkErrorCode = (typeof NETWORK_ERROR_CODES)[number];

export interface NetworkFailure {
  code: NetworkErrorCode;
  /** A few words for an attempt's `error` and for messages: 'connection refused', 'host not found'… */
  reason: string;
  /** The system's or library's own code (ECONNREFUSED, UND_ERR_SOCKET…), when there was one. */
  system: string | undefined;
}

const BY_SYSTEM_CODE: Record<string, [NetworkErrorCode, string]> = {
  ECONNREFUSED: ['unreachable', 'connection refused'],
  EHOSTUNREACH: ['unreachable', 'host unreachable'],
  ENETUNREACH: ['unreachable', 'host unreachable'],
  EHOSTDOWN: ['unreachable', 'host unreachable'],
  ENETDOWN: ['unreachable', 'host unreachable'],
  EADDRNOTAVAIL: ['unreachable', 'address not available'],
  ECONNRESET: ['reset', 'connection reset'],
  ECONNABORTED: ['reset', 'connection reset'],
  EPIPE: ['reset', 'connection reset'],
  UND_ERR_SOCKET: ['reset', 'connection reset'],
  UND_ERR_CLOSED: ['reset', 'connection reset'],
  ENOTFOUND: ['dns', 'host not found'],
  EAI_AGAIN: ['dns', 'host not found'],
  EAI_NONAME: ['dns', 'host not found'],
  EAI_FAIL: ['dns', 'host not found'],
  ETIMEDOUT: ['timeout', 'timed out'],
  ESOCKETTIMEDOUT: ['timeout', 'timed out'],
  TIMEOUT: ['timeout', 'timed out'],
  UND_ERR_CONNECT_TIMEOUT: ['timeout', 'timed out'],
  UND_ERR_HEADERS_TIMEOUT: ['timeout', 'timed out'],
  UND_ERR_BODY_TIMEOUT: ['timeout', 'timed out'],
  ABORT_ERR: ['interrupted', 'interrupted'],
  INTERRUPTED: ['interrupted', 'interrupted'],
  EPROTO: ['tls', 'TLS handshake failed'],
};

/** The code on an error or on its innermost cause (fetch and undici wrap the system's error). */
export function systemCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && e instanceof Error; depth++) {
    const code: unknown = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    if (e instanceof AggregateError && e.errors.length > 0) e = e.errors[0];
    else e = e.cause;
  }
  return undefined;
}

/** Is this code a TLS certificate the client refused (self-signed, expired, wrong name)? */
export function isCertificateCode(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT/.test(code);
}

/** What kind of network failure `err` is; undefined when it is not one (a bug, a file error…). */
export function networkFailure(err: unknown, options: { timedOut?: boolean } = {}): NetworkFailure | undefined {
  const system = systemCode(err);
  if (options.timedOut) return { code: 'timeout', reason: 'timed out', system };
  if (system === undefined) return undefined;
  const known = BY_SYSTEM_CODE[system];
  if (known !== undefined) return { code: known[0], reason: known[1], system };
  if (isCertificateCode(system)) return { code: 'tls', reason: `TLS certificate rejected (${system})`, system };
  if (system.startsWith('ERR_SSL_') || system.startsWith('ERR_TLS_')) return { code: 'tls', reason: `TLS handshake failed (${system})`, system };
  return undefined;
}

/**
 * The one line a delivery attempt records when there was no answer: 'connection refused', 'timed out after 30000 ms'…
 * (a certificate names the way past it). Not a network failure: the error's own first line.
 */
export function describeNetworkError(err: unknown, timeoutMs: number, options: { timedOut?: boolean } = {}): string {
  const f = networkFailure(err, options);
  if (f === undefined) return ((err as { message?: string } | undefined)?.message ?? String(err)).split('\n')[0] || 'request failed';
  if (f.code === 'timeout') return `timed out after ${timeoutMs} ms`;
  if (f.system !== undefined && isCertificateCode(f.system)) return `${f.reason}; use --insecure for a self-signed target`;
  return f.reason;
}
