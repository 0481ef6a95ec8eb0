// serve's flags (typed by their Options, the receiver's shared with dev) into ServeOptions: the rules across them,
// the queue and the secret, checked before anything connects.
import { UsageError } from '../../errors.js';
import { typeMatcher } from '../../core/events/globs.js';
import { isValidSecret, type Scheme } from '../../core/receive/signature.js';
import type { ReceiverFlags } from '../shared/receiver.js';
import { parseQueueFlags, type ParsedQueue, type QueueFlags } from '../shared/queue.js';
import { webhookSecret } from '../shared/secret.js';

export interface ServeFlags extends ReceiverFlags, QueueFlags {
  legacyQueue?: string;
  checkConfig?: boolean;
}

export interface ServeOptions {
  host: string;
  port: number;
  path: string;
  secret: string;
  scheme?: Scheme;
  tolerance: number;
  maxBody: number;
  accepts?: (type: string) => boolean;
  queue: ParsedQueue;
  legacyQueue?: string;
}

/** The rules across serve's flags, and the secret; every problem is a UsageError (exit 2) before anything starts. */
export async function parseServeOptions(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<ServeOptions> {
  const queue = parseQueueFlags(flags, 'serve', env);
  if (['/health', '/ready', '/metrics'].includes(flags.path)) throw new UsageError(`--path ${flags.path} is taken by serve's own endpoints`, 'choose another path');
  if (flags.legacyQueue !== undefined && flags.legacyQueue.trim() === '') throw new UsageError('--legacy-queue needs a Redis key, e.g. etsy_webhooks');
  const secret = await webhookSecret(flags.secret, env);
  if (secret === undefined) {
    throw new UsageError('serve needs the signing secret: --secret, or ETSY_WEBHOOK_SECRET', 'the secret Etsy shows for the push configuration (whsec_…)');
  }
  if (flags.scheme === 'standard' && !isValidSecret(secret.value, 'standard')) {
    throw new UsageError('--scheme standard needs a Standard Webhooks secret (whsec_ followed by base64)', 'check --secret / ETSY_WEBHOOK_SECRET');
  }
  const patterns = flags.events ?? [];
  return {
    host: flags.host,
    port: flags.port,
    path: flags.path,
    secret: secret.value,
    ...(flags.scheme === undefined ? {} : { scheme: flags.scheme }),
    tolerance: flags.tolerance,
    maxBody: flags.maxBody,
    ...(patterns.length > 0 ? { accepts: typeMatcher(patterns) as (t: string) => boolean } : {}),
    queue,
    ...(flags.legacyQueue === undefined ? {} : { legacyQueue: flags.legacyQueue.trim() }),
  };
}
