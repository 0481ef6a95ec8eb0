// What serve, worker, events, tail and replay share about the Redis queue: --queue / ETSYHOOK_QUEUE, --retain.
import { Option } from './commander.js';
import { UsageError } from '../../errors.js';
import { parseQueueUrl, parseRetain, type QueueTarget, type Retention } from '../../core/queue/url.js';
import { DEFAULT_RETENTION } from '../../core/defaults.js';
import { formatDuration } from '../../format.js';
import { parsedOption } from './flags.js';

/** The queue a command should use: --queue, else ETSYHOOK_QUEUE, else none (the embedded file store). */
export function queueUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag !== undefined && flag.trim() !== '') return flag;
  const v = env.ETSYHOOK_QUEUE;
  return v !== undefined && v.trim() !== '' ? v : undefined;
}

export interface QueueFlags {
  queue?: string;
  retain?: Retention;
}

export interface ParsedQueue {
  target: QueueTarget;
  retention: Retention;
}

/** `--queue <url>`: kept as text, checked with ETSYHOOK_QUEUE when the command opens it (queueUrl, parseQueueFlags). */
export function queueOption(description: string): Option {
  return new Option('--queue <url>', description);
}

/** `--retain`: how much history Redis keeps. */
export function retainOption(): Option {
  const shown = `${formatDuration(DEFAULT_RETENTION.ms)},${DEFAULT_RETENTION.count}`;
  return parsedOption('--retain <what>', `history kept in Redis: a duration, a number of events, or both (${shown})`, (raw, name) => parseRetain(raw, name)).default(
    { ...DEFAULT_RETENTION },
    shown,
  );
}

/** --queue (required by serve and worker) and --retain, checked at the edge. */
export function parseQueueFlags(flags: QueueFlags, command: string, env: NodeJS.ProcessEnv = process.env): ParsedQueue {
  const raw = queueUrl(flags.queue, env);
  if (raw === undefined) throw new UsageError(`${command} needs a Redis queue: --queue redis://HOST:PORT (or ETSYHOOK_QUEUE)`, 'start one with: redis-server --appendonly yes --appendfsync always');
  return { target: parseQueueUrl(raw), retention: flags.retain ?? { ...DEFAULT_RETENTION } };
}
