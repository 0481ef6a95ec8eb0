// One HTTP delivery of stored bytes to a target: the exact body, the original headers minus hop-by-hop ones.
// Never throws for HTTP or network failures: the result says what happened, so callers record it and retry.
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { describeNetworkError } from '../../net-errors.js';
import { RESPONSE_KEEP_BYTES, type AnswerKept, type DeliveryResult } from './attempt.js';

export { RESPONSE_KEEP_BYTES, type AnswerKept, type DeliveryResult };

export interface DeliverOptions {
  /** Whole-request deadline; default 30 s. */
  timeoutMs?: number;
  /** Accept a self-signed certificate on an https target. */
  insecure?: boolean;
  /** Sent as `x-etsyhook-attempt` so the app can tell retries apart. */
  attempt?: number;
  /** Added after the copied headers (e.g. x-forwarded-for). */
  extraHeaders?: Record<string, string>;
  /** Abandon the request (Ctrl-C): the result says 'interrupted'. */
  signal?: AbortSignal;
}

import { DEFAULT_DELIVERY_TIMEOUT_MS } from '../defaults.js';

export { DEFAULT_DELIVERY_TIMEOUT_MS };

/** Headers that describe one connection, not the message: never copied to the target. */
const HOP_BY_HOP = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'trailer']);

export function isHopByHop(name: string): boolean {
  const n = name.toLowerCase();
  return HOP_BY_HOP.has(n) || n.startsWith('proxy-');
}

/** The headers to send: the given ones minus hop-by-hop, then the extras. */
export function forwardableHeaders(headers: Record<string, string>, extra?: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (!isHopByHop(name)) out[name.toLowerCase()] = headers[name]!;
  }
  if (extra) for (const name of Object.keys(extra)) out[name.toLowerCase()] = extra[name]!;
  return out;
}

export class Deliverer {
  private readonly connections: number;
  private readonly insecureDefault: boolean;
  private agent: Agent | undefined;
  private insecureAgent: Agent | undefined;
  private closed = false;

  constructor(options: { connections?: number; insecure?: boolean } = {}) {
    this.connections = options.connections ?? 16;
    this.insecureDefault = options.insecure ?? false;
  }

  /** The target's origin and path, parsed once per target (a forwarder sends every event to the same one). */
  private parse(target: string): { origin: string; path: string } | undefined {
    if (this.parsed?.target === target) return this.parsed;
    try {
      const url = new URL(target);
      this.parsed = { target, origin: url.origin, path: `${url.pathname}${url.search}` };
      return this.parsed;
    } catch {
      return undefined;
    }
  }
  private parsed: { target: string; origin: string; path: string } | undefined;

  private dispatcher(insecure: boolean): Agent {
    if (insecure) {
      this.insecureAgent ??= new Agent({
        connections: this.connections,
        keepAliveTimeout: 10_000,
        connect: { rejectUnauthorized: false },
      });
      return this.insecureAgent;
    }
    this.agent ??= new Agent({ connections: this.connections, keepAliveTimeout: 10_000 });
    return this.agent;
  }

  async send(target: string, headers: Record<string, string>, body: Buffer, options: DeliverOptions = {}): Promise<DeliveryResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    if (this.closed) return { ms: 0, error: 'delivery stopped' };
    const url = this.parse(target);
    if (url === undefined) return { ms: 0, error: `invalid target URL '${target}'` };
    const timeoutMs = options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    const sendHeaders = forwardableHeaders(headers, options.extraHeaders);
    if (options.attempt !== undefined) sendHeaders['x-etsyhook-attempt'] = String(options.attempt);
    const insecure = options.insecure ?? this.insecureDefault;

    // The low-level dispatch API: no response stream, no promise chain, no AbortController per request. undici's
    // own phase timeouts bound the wait: headersTimeout for the answer, bodyTimeout for silence while it streams.
    const signal = options.signal;
    if (signal?.aborted) return { ms: 0, error: 'interrupted' };
    return new Promise<DeliveryResult>((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let status: number | undefined;
      let headers: Record<string, string> = {};
      let truncated = false;
      let settled = false;
      let control: { abort(reason: Error): void } | undefined;
      const onAbort = (): void => {
        status = undefined; // an answer cut short by Ctrl-C is not an answer
        finish('interrupted');
        control?.abort(new Error('interrupted'));
      };
      const finish = (error?: string): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (status === undefined) {
          resolve({ ms: elapsed(), error: error ?? 'no response' });
          return;
        }
        let bytes = size === 0 ? Buffer.alloc(0) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        if (bytes.length > RESPONSE_KEEP_BYTES) {
          bytes = bytes.subarray(0, RESPONSE_KEEP_BYTES);
          truncated = true;
        }
        const response: AnswerKept = { headers, body: bytes.toString('utf8'), ...(truncated ? { truncated } : {}) };
        resolve({ status, ms: elapsed(), response });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.dispatcher(insecure).dispatch(
          {
            origin: url.origin,
            path: url.path,
            method: 'POST',
            headers: sendHeaders,
            body,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          },
          {
            onRequestStart: (controller) => {
              control = controller;
            },
            onResponseStart: (_controller, statusCode, responseHeaders) => {
              if (statusCode < 200) return; // 1xx informational answers are not the answer
              status = statusCode;
              headers = flatHeaders(responseHeaders);
            },
            onResponseData: (controller, chunk) => {
              if (size > RESPONSE_KEEP_BYTES) return;
              chunks.push(chunk);
              size += chunk.length;
              // Enough kept: stop reading a huge body (the connection is dropped, not drained).
              if (size > RESPONSE_KEEP_BYTES) {
                finish();
                controller.abort(new Error('response kept'));
              }
            },
            onResponseEnd: () => finish(),
            onResponseError: (_controller, err) => {
              // A response cut short still has a status: keep what arrived.
              finish(describeNetworkError(err, timeoutMs));
            },
          },
        );
      } catch (err) {
        finish(describeNetworkError(err, timeoutMs));
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const agents = [this.agent, this.insecureAgent].filter((a): a is Agent => a !== undefined);
    // destroy, not close: a hung target must not hold up shutdown.
    await Promise.all(agents.map((a) => a.destroy().catch(() => {})));
  }
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(h)) {
    const v = h[name];
    if (v !== undefined) out[name.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
