// `etsyhook tail`: follow, live, what a receiver stores (from another terminal, even before the receiver starts).
import type { Command } from 'commander';
import type { StoreRecord } from '../core/log/records.js';
import type { Output } from '../ui/output.js';
import { attemptJson, receivedJson } from '../ui/present.js';
import { context, type GlobalOptions } from './common.js';
import { addFilterOptions, filtersOf, storeLocation, type ParsedFilterFlags, type ParsedFilters } from './event-filters.js';
import { queueUrl } from './queue-options.js';
import { parseIntFlag } from '../config.js';
import { unreadableRecords } from '../ui/words.js';

export interface TailOptions {
  filters: ParsedFilters;
  json: boolean;
  /** --queue / ETSYHOOK_QUEUE: follow the Redis history instead of the file log. */
  queue: string | undefined;
  /** --last N: first the last N records that match, read from the end. */
  last: number | undefined;
}

export function parseTailOptions(raw: ParsedFilterFlags & GlobalOptions & { queue?: string; last?: string }): TailOptions {
  return { filters: filtersOf(raw), json: raw.json ?? false, queue: queueUrl(raw.queue), last: parseIntFlag('--last', raw.last, { min: 0 }) };
}

export function register(program: Command): void {
  const tail = program
    .command('tail')
    .description('follow, live, what a running receiver accepts and delivers (works from another terminal)');
  addFilterOptions(tail, {
    status: 'only lines with this status',
    since: 'first show what is already stored from this far back (30m, 2h, 7d) or since a date',
  })
    .option('--queue <url>', 'follow the Redis history every serve and worker writes, instead of the local store (env ETSYHOOK_QUEUE)')
    .option('--last <n>', 'first show the last N records that match the filters (read from the end), then follow')
    .addHelpText(
      'after',
      `
One line per received request and per delivery attempt (→). A request's status is the receiver's verdict
(accepted, rejected, duplicate, ignored); an attempt's is its outcome (delivered, failed, dead).
--json: one object per line with kind (received|delivery), id, type, status, at, httpStatus (what the receiver
answered, or what the app answered an attempt), and for attempts ms, error, target, attempt. Stop with Ctrl-C (exit 0).

Examples:
  $ etsyhook tail
  $ etsyhook tail --type 'order.*' --status rejected,failed,dead
  $ etsyhook tail --last 20 --status failed,dead
  $ etsyhook tail --since 10m --json | jq -c 'select(.kind == "delivery")'`,
    )
    .action(async (_flags: object, cmd: Command) => {
      const { opts, out } = context<ParsedFilterFlags>(cmd);
      await followLog(parseTailOptions(opts), out);
    });
}

/** One line for a record: the event line for people, a JSON object with --json (kind received|delivery). */
function renderer(
  o: TailOptions,
  out: Output,
  typeOf: (rec: StoreRecord) => string | undefined,
  webhookIdOf: (rec: StoreRecord) => string | undefined,
  formatEventLine: typeof import('../ui/event-line.js').formatEventLine,
): (rec: StoreRecord) => string {
  return (rec) => {
    const type = typeOf(rec);
    if (!o.json) return formatEventLine(rec, out.cOut, { ...(type === undefined ? {} : { type }), ...(o.queue === undefined ? {} : { queue: o.queue }) });
    return JSON.stringify(rec.kind === 'received' ? receivedJson(rec) : attemptJson(rec, { type, webhookId: webhookIdOf(rec) }));
  };
}

async function followLog(o: TailOptions, out: Output): Promise<void> {
  for (const w of o.filters.warnings) out.warn(w);
  const { dir, file } = storeLocation();
  const tail = await import('../core/log/follower.js');
  const { formatEventLine } = await import('../ui/event-line.js');
  const { types, statuses, since } = o.filters;
  const filter = new tail.TailFilter({ types, statuses, ...(since === undefined ? {} : { since }) });
  const end = tail.completeEnd(file, tail.logSize(file));
  const start = tail.planTail(file, end, filter, since);
  const render = renderer(
    o,
    out,
    (rec) => filter.typeOf(rec),
    (rec) => filter.webhookIdOf(rec),
    formatEventLine,
  );
  if (o.queue !== undefined) {
    return (await import('./queue-views.js')).tailQueue(o.queue, since, (records) => {
      let text = '';
      for (const rec of records) if (filter.accepts(rec)) text += `${render(rec)}\n`;
      if (text !== '') process.stdout.write(text);
      return true;
    }, out, o.last === undefined ? undefined : { n: o.last, filter });
  }

  // Said as it happens: a tail has no "afterwards".
  const bad = (offset: number): void => out.warn(unreadableRecords(1, offset, file));
  if (o.last !== undefined) process.stdout.write(tail.lastRecords(file, end, filter, o.last, bad).map((rec) => `${render(rec)}\n`).join(''));
  await new Promise<void>((resolve) => {
    const follower = new tail.LogFollower(file, o.last === undefined ? start : end, {
      onRecords: (records) => {
        let text = '';
        for (const rec of records) if (filter.accepts(rec)) text += `${render(rec)}\n`;
        if (text !== '' && !process.stdout.write(text)) {
          follower.pause();
          process.stdout.once('drain', () => follower.resume());
        }
      },
      onBadLine: bad,
    });
    const finish = (): void => {
      follower.stop();
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      resolve();
    };
    process.on('SIGINT', finish);
    process.on('SIGTERM', finish);
    // `etsyhook tail | head` closing the pipe is a normal way to stop.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') finish();
    });
    if (end === 0) out.info(`waiting for events in ${dir} (start a receiver with \`etsyhook dev\`)…`);
    else out.info(out.c.dim(`following ${file}; Ctrl-C to stop`));
    follower.start();
  });
}
