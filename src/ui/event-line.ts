// One line per stored record, the look of `etsyhook dev`'s own lines, built from the record alone so that `tail`,
// `replay` and `events show` (and `dev`, if it likes) print the same thing:
//   14:03:22  accepted  200  order.paid        evt_4k2j9x0q1m3n5b7v
//   14:03:22  rejected  401  order.paid        evt_8d0c2kq1m3n5b7vx  stale timestamp: signed 400 s ago
//   14:03:23    → 200 12 ms  order.paid  evt_4k2j9x0q1m3n5b7v
//   14:03:23    → connection refused  order.paid  evt_4k2j9x0q1m3n5b7v  attempt 2, failed
import type { ChalkInstance } from 'chalk';
import type { DeliveryRecord, ReceivedRecord, StoreRecord } from '../core/log/records.js';
import { isDuplicateAnswer } from '../core/delivery/answer.js';
import { duration, formatMs } from '../format.js';

export interface EventLineOptions {
  /** The event's type, for a delivery line (delivery records do not carry it). */
  type?: string;
  /** Show the date as well as the time (for events older than today). */
  date?: boolean;
  /** Name the delivery target (when attempts went to more than one place); default: when the attempt names a route. */
  target?: boolean;
  /** For a received request the store could not keep: why (shown instead of the verdict). */
  unstored?: string;
  /** For a failed attempt: when the next one goes (the delay actually used), and how many are allowed. */
  retryInMs?: number;
  maxAttempts?: number;
  /** For a failed attempt the target did not answer at all: it waits with the held ones until the target answers. */
  held?: boolean;
  /** Where the event is stored, when not the local store: the resend hint names it (`--queue URL`). */
  queue?: string;
}

/** One human line for a received request or a delivery attempt; no trailing newline. */
export function formatEventLine(record: StoreRecord, c: ChalkInstance, options: EventLineOptions = {}): string {
  return record.kind === 'received' ? receivedLine(record, c, options) : deliveryLine(record, c, options);
}

function receivedLine(rec: ReceivedRecord, c: ChalkInstance, options: EventLineOptions): string {
  const label = (options.unstored !== undefined ? 'unstored' : rec.status).padEnd(9);
  const verdict =
    options.unstored !== undefined || rec.status === 'rejected'
      ? c.red(label)
      : rec.status === 'accepted'
        ? c.green(label)
        : rec.status === 'duplicate'
          ? c.yellow(label)
          : c.dim(label);
  const where = rec.method === 'POST' ? '' : `${rec.method} ${rec.path}  `;
  const why = options.unstored ?? (rec.status !== 'accepted' ? rec.reason : undefined);
  const reason = why ? c.dim(why) : '';
  const status = rec.httpStatus === undefined ? '' : `${rec.httpStatus < 300 ? c.green(String(rec.httpStatus)) : c.red(String(rec.httpStatus))}  `;
  return `${stamp(rec.at, c, options)}  ${verdict} ${status}${(rec.type ?? '-').padEnd(17)} ${c.dim(rec.id)}  ${where}${reason}`.trimEnd();
}

function deliveryLine(rec: DeliveryRecord, c: ChalkInstance, options: EventLineOptions): string {
  const head = `${stamp(rec.at, c, options)}  ${c.dim('  →')}`;
  const tail = `${options.type ?? '-'}  ${c.dim(rec.id)}`;
  const notes: string[] = [];
  if (rec.replay) notes.push('replay');
  // With routes an event goes to several places: say which, unless the caller already did.
  if (options.target ?? rec.route !== undefined) notes.push(rec.target);
  if (rec.status === 'delivered') {
    if (rec.attempt > 1) notes.unshift(`attempt ${rec.attempt}`);
    // Acknowledged but not taken again: the receiver already had the webhook-id.
    if (isDuplicateAnswer(rec.httpStatus, rec.response?.body)) notes.unshift('duplicate');
    const ms = rec.ms === undefined ? '' : ` ${formatMs(rec.ms)}`;
    // No HTTP code (an exec:, slack: or pushover: attempt that worked): the outcome word instead.
    return `${head} ${c.green(rec.httpStatus === undefined ? 'delivered' : String(rec.httpStatus))}${ms}  ${tail}${notes.length > 0 ? c.dim(`  (${notes.join(', ')})`) : ''}`;
  }
  const why = rec.httpStatus !== undefined ? String(rec.httpStatus) : (rec.error ?? 'failed');
  const verdict =
    options.held === true || rec.held === true
      ? c.dim('held until the app answers (no attempt used)')
      : rec.status === 'dead'
      ? c.red(`dead after ${rec.attempt === 1 ? '1 attempt' : `${rec.attempt} attempts`}; resend with: etsyhook replay ${rec.id}${rec.route !== undefined ? ' --failed' : ''}${options.queue !== undefined ? ` --queue ${queueForHint(options.queue)}` : ''}`)
      : c.dim(
          `attempt ${rec.attempt}${options.maxAttempts !== undefined ? `/${options.maxAttempts}` : ''}` +
            (options.retryInMs !== undefined ? `, retry in ${duration(options.retryInMs)}` : ', failed'),
        );
  return `${head} ${c.yellow(why)}  ${tail}  ${verdict}${notes.length > 0 ? c.dim(`  (${notes.join(', ')})`) : ''}`;
}

/** A Redis URL to print in a command line: as given, unless it holds a password (then the variable, or masked). */
export function queueForHint(url: string, env: NodeJS.ProcessEnv = process.env): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.password === '') return url;
  if (env.ETSYHOOK_QUEUE === url) return '"$ETSYHOOK_QUEUE"';
  parsed.password = 'PASSWORD';
  return parsed.href;
}

function stamp(at: string, c: ChalkInstance, options: EventLineOptions): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return c.dim(at);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (!options.date) return c.dim(time);
  return c.dim(`${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`);
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

