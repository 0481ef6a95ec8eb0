// Opening the history: the Redis queue when one is named (--queue, or ETSYHOOK_QUEUE as the command resolved it),
// the file log under ETSYHOOK_HOME otherwise. The only place that chooses; with a queue the home is not touched.
import { storeDir } from '../../home.js';
import { parseQueueUrl, type QueueTarget } from '../queue/url.js';
import { FileHistory } from './file.js';
import type { AttemptWriter, History } from './history.js';

export { FileHistory } from './file.js';
export * from './history.js';

export interface OpenHistoryOptions {
  /** A Redis URL (checked here: a UsageError when it is not one) or a parsed one; none: the file log. */
  queue?: string | QueueTarget | undefined;
  /** The file log's directory; default ETSYHOOK_HOME's events directory. Never read when a queue is named. */
  dir?: string;
  /** Where attempts go (a running pipeline's sink); by default the history itself keeps them. */
  attempts?: AttemptWriter;
  /** Unreadable records met by reads that name no handler of their own (the file log's only). */
  onBadLine?: (offset: number, length: number) => void;
  /** Told once when a follow that names no onError loses the queue (it keeps retrying). */
  onFollowError?: (err: Error) => void;
}

export async function openHistory(options: OpenHistoryOptions = {}): Promise<History> {
  const queue = typeof options.queue === 'string' ? parseQueueUrl(options.queue) : options.queue;
  const attempts = options.attempts === undefined ? {} : { attempts: options.attempts };
  if (queue !== undefined) {
    // The Redis client is loaded only for a queue.
    const { RedisHistory } = await import('./redis.js');
    return RedisHistory.open(queue, { ...attempts, ...(options.onFollowError ? { onFollowError: options.onFollowError } : {}) });
  }
  return new FileHistory(options.dir ?? storeDir(), { ...attempts, ...(options.onBadLine ? { onBadLine: options.onBadLine } : {}) });
}
