// The pure parts of serve and worker: flags → typed options, checked before anything connects.
import { describe, expect } from 'vitest';
import { parseServeOptions } from '../src/commands/serve.js';
import { parseWorkerOptions } from '../src/commands/worker.js';
import { parseQueueUrl, parseRetain, redact } from '../src/core/queue/connection.js';
import { parseDurationMs } from '../src/config.js';
import { UsageError } from '../src/errors.js';
import { it, SECRET } from './support/index.js';

const serveDefaults = { host: '0.0.0.0', port: '8080', path: '/webhook', tolerance: '300', maxBody: '1mb' };
const workerDefaults = { concurrency: '16', retrySchedule: 'etsy', claimAfter: '60s', timeout: '30s' };

describe('queue URLs', () => {
  it('accepts redis:// and rediss:// with a password and a database, and never shows the password', () => {
    expect(parseQueueUrl('redis://:s3cret@10.0.0.5:6380/2')).toMatchObject({ where: '10.0.0.5:6380/2', tls: false });
    expect(parseQueueUrl('rediss://redis.internal')).toMatchObject({ where: 'redis.internal:6379', tls: true });
    expect(redact('redis://:s3cret@h:1')).toBe('redis://:***@h:1');
    expect(redact('redis://user:s3cret@h:1')).toBe('redis://user:***@h:1');
    expect(() => parseQueueUrl('http://h:6379')).toThrow(/must start with redis:\/\//);
    expect(() => parseQueueUrl('localhost:6379')).toThrow(UsageError);
    expect(() => parseQueueUrl('redis://h:6379/abc')).toThrow(/database after the host must be a number/);
  });

  it('--retain takes a duration, a count, or both', () => {
    expect(parseRetain(undefined, parseDurationMs)).toEqual({ ms: 7 * 86_400_000, count: 1_000_000 });
    expect(parseRetain('2h', parseDurationMs)).toEqual({ ms: 7_200_000, count: 1_000_000 });
    expect(parseRetain('1d,500', parseDurationMs)).toEqual({ ms: 86_400_000, count: 500 });
    expect(() => parseRetain('0', parseDurationMs)).toThrow(/at least 1 event/);
    expect(() => parseRetain('soon', parseDurationMs)).toThrow(UsageError);
  });
});

describe('serve options', () => {
  it('takes --queue or ETSYHOOK_QUEUE and needs a secret', async ({ home }) => {
    const { env } = home;
    const o = await parseServeOptions({ ...serveDefaults, secret: SECRET, queue: 'redis://127.0.0.1:6379' }, env);
    expect(o).toMatchObject({ host: '0.0.0.0', port: 8080, path: '/webhook', secret: SECRET, queue: { target: { where: '127.0.0.1:6379' } } });
    const fromEnv = await parseServeOptions({ ...serveDefaults, secret: SECRET }, { ...env, ETSYHOOK_QUEUE: 'redis://q:1' });
    expect(fromEnv.queue.target.where).toBe('q:1');
    await expect(parseServeOptions({ ...serveDefaults, queue: 'redis://q:1' }, env)).rejects.toThrow(/serve needs the signing secret/);
    await expect(parseServeOptions({ ...serveDefaults, secret: SECRET }, env)).rejects.toThrow(/serve needs a Redis queue/);
    await expect(parseServeOptions({ ...serveDefaults, path: '/metrics', secret: SECRET, queue: 'redis://q:1' }, env)).rejects.toThrow(/taken by serve's own endpoints/);
    await expect(parseServeOptions({ ...serveDefaults, legacyQueue: ' ', secret: SECRET, queue: 'redis://q:1' }, env)).rejects.toThrow(/--legacy-queue needs a Redis key/);
  });
});

describe('worker options', () => {
  it('defaults to Etsy\'s schedule and its length as --max-attempts', async ({ home }) => {
    const { env } = home;
    const o = await parseWorkerOptions({ ...workerDefaults, queue: 'redis://q:1', forwardTo: 'http://127.0.0.1:3000/hooks' }, env);
    expect(o).toMatchObject({ forwardTo: 'http://127.0.0.1:3000/hooks', concurrency: 16, maxAttempts: 8, claimAfterMs: 60_000, timeoutMs: 30_000 });
    expect(o.schedule).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    const short = await parseWorkerOptions({ ...workerDefaults, queue: 'redis://q:1', forwardTo: 'http://a/b', retrySchedule: '0,100ms,1s' }, env);
    expect([short.schedule, short.maxAttempts]).toEqual([[0, 100, 1000], 3]);
    await expect(parseWorkerOptions({ ...workerDefaults, queue: 'redis://q:1' }, env)).rejects.toThrow(/--forward-to URL/);
    await expect(parseWorkerOptions({ ...workerDefaults, queue: 'redis://q:1', forwardTo: 'http://a/b', retrySchedule: '0,soon' }, env)).rejects.toThrow(/--retry-schedule/);
    await expect(parseWorkerOptions({ ...workerDefaults, queue: 'redis://q:1', forwardTo: 'http://a/b', claimAfter: '10ms' }, env)).rejects.toThrow(/at least 100ms/);
  });

  it('--route/--routes become routes, --forward-to among them as *=URL; alone, --forward-to stays one job per event', async ({ home }) => {
    const { env } = home;
    const q = { ...workerDefaults, queue: 'redis://q:1' };
    const alone = await parseWorkerOptions({ ...q, forwardTo: 'http://a/b' }, env);
    expect([alone.forwardTo, alone.routes]).toEqual(['http://a/b', undefined]);
    const routed = await parseWorkerOptions({ ...q, forwardTo: 'http://a/all', route: ['order.*=http://a/orders', 'listing.*=exec:true'] }, env);
    expect(routed.forwardTo).toBeUndefined();
    expect(routed.routes!.map((r) => r.label)).toEqual(['*=http://a/all', 'order.*=http://a/orders', 'listing.*=exec:true']);
    const masked = await parseWorkerOptions({ ...q, route: ['order.paid=slack:https://hooks.slack.com/services/T/B/secret'] }, env);
    expect(masked.routes![0]!.label).toBe('order.paid=slack:https://hooks.slack.com/…');
    await expect(parseWorkerOptions({ ...q, route: ['order.*=ftp://x'] }, env)).rejects.toThrow(/unknown target scheme 'ftp:'/);
    await expect(parseWorkerOptions({ ...q, route: ['order.pade=http://a/b'] }, env)).rejects.toThrow(/'order.pade' is not an event type etsyhook knows/);
    await expect(parseWorkerOptions({ ...q, routes: '/nonexistent/routes.yaml' }, env)).rejects.toThrow(UsageError);
  });
});

describe('dev --queue options', () => {
  it('--queue or ETSYHOOK_QUEUE picks the Redis sink; --legacy-queue needs it', async () => {
    const { parseDevOptions } = await import('../src/commands/dev-options.js');
    const raw = { host: '127.0.0.1', port: '5000', path: '/webhook', tunnel: false };
    expect(parseDevOptions(raw, {}).queue).toBeUndefined();
    expect(parseDevOptions({ ...raw, queue: 'redis://r:7000' }, {}).queue?.where).toBe('r:7000');
    expect(parseDevOptions(raw, { ETSYHOOK_QUEUE: 'rediss://r' }).queue).toMatchObject({ where: 'r:6379', tls: true });
    expect(parseDevOptions({ ...raw, queue: 'redis://r', legacyQueue: 'etsy_webhooks' }, {}).legacyQueue).toBe('etsy_webhooks');
    expect(() => parseDevOptions({ ...raw, legacyQueue: 'etsy_webhooks' }, {})).toThrow(/--legacy-queue needs a Redis key and --queue/);
    expect(() => parseDevOptions({ ...raw, queue: 'mysql://r' }, {})).toThrow(/must start with redis:\/\//);
  });
});
