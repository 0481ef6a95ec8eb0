// The pure parts of serve and worker: flags → typed options, checked before anything connects.
import { describe, expect } from 'vitest';
import { parseServeOptions, type ServeFlags } from '../src/commands/serve/options.js';
import { parseWorkerOptions, type WorkerFlags } from '../src/commands/worker/options.js';
import { parseDevOptions, type DevFlags } from '../src/commands/dev/options.js';
import { parseQueueUrl, parseRetain, redact } from '../src/core/queue/connection.js';
import { UsageError } from '../src/errors.js';
import { expectUsageError, flagsOf, it, SECRET } from './support/index.js';

async function serve(args: string[], env: NodeJS.ProcessEnv) {
  return parseServeOptions(await flagsOf<ServeFlags>(['serve', ...args]), env);
}

async function worker(args: string[], env: NodeJS.ProcessEnv) {
  return parseWorkerOptions(await flagsOf<WorkerFlags>(['worker', ...args]), env);
}

async function dev(args: string[], env: NodeJS.ProcessEnv = {}) {
  return parseDevOptions(await flagsOf<DevFlags>(['dev', '--no-tunnel', ...args]), env);
}

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
    expect(parseRetain(undefined)).toEqual({ ms: 7 * 86_400_000, count: 1_000_000 });
    expect(parseRetain('2h')).toEqual({ ms: 7_200_000, count: 1_000_000 });
    expect(parseRetain('1d,500')).toEqual({ ms: 86_400_000, count: 500 });
    expect(() => parseRetain('0')).toThrow(/at least 1 event/);
    expect(() => parseRetain('soon')).toThrow(UsageError);
  });
});

describe('serve options', () => {
  it('takes --queue or ETSYHOOK_QUEUE and needs a secret', async ({ home }) => {
    const { env } = home;
    const o = await serve(['--secret', SECRET, '--queue', 'redis://127.0.0.1:6379'], env);
    expect(o).toMatchObject({ host: '0.0.0.0', port: 8080, path: '/webhook', secret: SECRET, tolerance: 300, maxBody: 1024 * 1024, queue: { target: { where: '127.0.0.1:6379' } } });
    const fromEnv = await serve(['--secret', SECRET], { ...env, ETSYHOOK_QUEUE: 'redis://q:1' });
    expect(fromEnv.queue.target.where).toBe('q:1');
    await expect(serve(['--queue', 'redis://q:1'], env)).rejects.toThrow(/serve needs the signing secret/);
    await expect(serve(['--secret', SECRET], env)).rejects.toThrow(/serve needs a Redis queue/);
    await expect(serve(['--path', '/metrics', '--secret', SECRET, '--queue', 'redis://q:1'], env)).rejects.toThrow(/taken by serve's own endpoints/);
    await expect(serve(['--legacy-queue', ' ', '--secret', SECRET, '--queue', 'redis://q:1'], env)).rejects.toThrow(/--legacy-queue needs a Redis key/);
    expect(await expectUsageError(() => serve(['--secret', '', '--queue', 'redis://q:1'], env))).toBe('--secret is empty');
  });
});

describe('worker options', () => {
  it('defaults to Etsy\'s schedule and its length as --max-attempts', async ({ home }) => {
    const { env } = home;
    const o = await worker(['--queue', 'redis://q:1', '--forward-to', 'http://127.0.0.1:3000/hooks'], env);
    expect(o).toMatchObject({ forwardTo: 'http://127.0.0.1:3000/hooks', concurrency: 16, maxAttempts: 8, claimAfterMs: 60_000, timeoutMs: 30_000 });
    expect(o.schedule).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    const short = await worker(['--queue', 'redis://q:1', '--forward-to', 'http://a/b', '--retry-schedule', '0,100ms,1s'], env);
    expect([short.schedule, short.maxAttempts]).toEqual([[0, 100, 1000], 3]);
    await expect(worker(['--queue', 'redis://q:1'], env)).rejects.toThrow(/--forward-to URL/);
    await expect(worker(['--queue', 'redis://q:1', '--forward-to', 'http://a/b', '--retry-schedule', '0,soon'], env)).rejects.toThrow(/--retry-schedule/);
    await expect(worker(['--queue', 'redis://q:1', '--forward-to', 'http://a/b', '--claim-after', '10ms'], env)).rejects.toThrow(/at least 100ms/);
  });

  it('--route/--routes become routes, --forward-to among them as *=URL; alone, --forward-to stays one job per event', async ({ home }) => {
    const { env } = home;
    const q = ['--queue', 'redis://q:1'];
    const alone = await worker([...q, '--forward-to', 'http://a/b'], env);
    expect([alone.forwardTo, alone.routes]).toEqual(['http://a/b', undefined]);
    const routed = await worker([...q, '--forward-to', 'http://a/all', '--route', 'order.*=http://a/orders', '--route', 'listing.*=exec:true'], env);
    expect(routed.forwardTo).toBeUndefined();
    expect(routed.routes!.map((r) => r.label)).toEqual(['*=http://a/all', 'order.*=http://a/orders', 'listing.*=exec:true']);
    const masked = await worker([...q, '--route', 'order.paid=slack:https://hooks.slack.com/services/T/B/secret'], env);
    expect(masked.routes![0]!.label).toBe('order.paid=slack:https://hooks.slack.com/…');
    await expect(worker([...q, '--route', 'order.*=ftp://x'], env)).rejects.toThrow(/unknown target scheme 'ftp:'/);
    await expect(worker([...q, '--route', 'order.pade=http://a/b'], env)).rejects.toThrow(/'order.pade' is not an event type etsyhook knows/);
    await expect(worker([...q, '--routes', '/nonexistent/routes.yaml'], env)).rejects.toThrow(UsageError);
  });
});

describe('dev --queue options', () => {
  it('--queue or ETSYHOOK_QUEUE picks the Redis sink; --legacy-queue needs it', async () => {
    expect((await dev([])).queue).toBeUndefined();
    expect((await dev(['--queue', 'redis://r:7000'])).queue?.where).toBe('r:7000');
    expect((await dev([], { ETSYHOOK_QUEUE: 'rediss://r' })).queue).toMatchObject({ where: 'r:6379', tls: true });
    expect((await dev(['--queue', 'redis://r', '--legacy-queue', 'etsy_webhooks'])).legacyQueue).toBe('etsy_webhooks');
    await expect(dev(['--legacy-queue', 'etsy_webhooks'])).rejects.toThrow(/--legacy-queue needs a Redis key and --queue/);
    await expect(dev(['--queue', 'mysql://r'])).rejects.toThrow(/must start with redis:\/\//);
  });
});
