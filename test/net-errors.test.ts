// The one description of network failures (src/net-errors.ts): what Node, undici and fetch throw, mapped to the
// documented codes scripts read in --json errors and the reasons delivery attempts record.
import { describe, expect } from 'vitest';
import { describeNetworkError, networkFailure } from '../src/net-errors.js';
import { it, unusedPort } from './support/index.js';

const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

describe('network failures', () => {
  it('a refused connection, as fetch really throws it (wrapped in its cause), is unreachable', async () => {
    const port = await unusedPort();
    const err = await fetch(`http://127.0.0.1:${port}/`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(networkFailure(err)).toEqual({ code: 'unreachable', reason: 'connection refused', system: 'ECONNREFUSED' });
    expect(describeNetworkError(err, 1000)).toBe('connection refused');
  });

  it('maps system and undici codes, however deeply wrapped, to the documented codes', () => {
    const cases: [unknown, string][] = [
      [coded('EHOSTUNREACH'), 'unreachable'],
      [coded('ECONNRESET'), 'reset'],
      [coded('UND_ERR_SOCKET'), 'reset'],
      [coded('ETIMEDOUT'), 'timeout'],
      [coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
      [coded('UND_ERR_CONNECT_TIMEOUT'), 'timeout'],
      [coded('ENOTFOUND'), 'dns'],
      [coded('EAI_AGAIN'), 'dns'],
      [coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
      [coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls'],
      [new TypeError('fetch failed', { cause: new AggregateError([coded('ECONNREFUSED')]) }), 'unreachable'],
      [new Error('outer', { cause: new Error('middle', { cause: coded('ECONNRESET') }) }), 'reset'],
    ];
    for (const [err, code] of cases) expect(networkFailure(err)?.code, String((err as Error).message)).toBe(code);
  });

  it('says what an attempt records: the timeout with its length, a certificate with the way past it; not a network error: undefined', () => {
    expect(describeNetworkError(coded('UND_ERR_BODY_TIMEOUT'), 30000)).toBe('timed out after 30000 ms');
    expect(describeNetworkError(coded('DEPTH_ZERO_SELF_SIGNED_CERT'), 1)).toBe('TLS certificate rejected (DEPTH_ZERO_SELF_SIGNED_CERT); use --insecure for a self-signed target');
    expect(networkFailure(coded('ENOENT'))).toBeUndefined();
    expect(networkFailure(new Error('no code'))).toBeUndefined();
    expect(networkFailure(new Error('no code'), { timedOut: true })?.code).toBe('timeout');
  });
});
