// What serve, worker, events, tail and replay share about the Redis queue: --queue / ETSYHOOK_QUEUE, --retain.
import type { QueueTarget, Retention } from '../core/queue/connection.js';

/** The queue a command should use: --queue, else ETSYHOOK_QUEUE, else none (the embedded file store). */
export function queueUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag !== undefined && flag.trim() !== '') return flag;
  const v = env.ETSYHOOK_QUEUE;
  return v !== undefined && v.trim() !== '' ? v : undefined;
}

export interface QueueFlags {
  queue?: string;
  retain?: string;
}

export interface ParsedQueue {
  target: QueueTarget;
  retention: Retention;
}

/** --queue (required by serve and worker) and --retain, checked at the edge. */
export async function parseQueueFlags(flags: QueueFlags, command: string, env: NodeJS.ProcessEnv = process.env): Promise<ParsedQueue> {
  const { UsageError } = await import('../errors.js');
  const { parseQueueUrl, parseRetain } = await import('../core/queue/connection.js');
  const { parseDurationMs } = await import('../config.js');
  const raw = queueUrl(flags.queue, env);
  if (raw === undefined) throw new UsageError(`${command} needs a Redis queue: --queue redis://HOST:PORT (or ETSYHOOK_QUEUE)`, 'start one with: redis-server --appendonly yes --appendfsync always');
  return { target: parseQueueUrl(raw), retention: parseRetain(flags.retain, parseDurationMs) };
}
