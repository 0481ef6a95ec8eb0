// `etsyhook tail`: follow, live, what a receiver stores (from another terminal, even before the receiver starts).
import type { Command } from 'commander';
import type { StoreRecord } from '../core/log/records.js';
import type { Output } from '../ui/output.js';
import { attemptJson, receivedJson } from '../ui/present.js';
import { context, type GlobalOptions } from './common.js';
import { openHistory } from '../core/history/index.js';
import { TailFilter } from '../core/log/follower.js';
import { addFilterOptions, filtersOf, type ParsedFilterFlags, type ParsedFilters } from './event-filters.js';
import { queueUrl } from './queue-options.js';
import { parseIntFlag } from '../config.js';

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
  const { formatEventLine } = await import('../ui/event-line.js');
  const { types, statuses, since } = o.filters;
  const filter = new TailFilter({ types, statuses, ...(since === undefined ? {} : { since }) });
  const render = renderer(
    o,
    out,
    (rec) => filter.typeOf(rec),
    (rec) => filter.webhookIdOf(rec),
    formatEventLine,
  );
  // The queue when one is named (the home is not touched then), else the file log.
  const history = await openHistory({ queue: o.queue });
  try {
    const empty = await history.isEmpty();
    const following = history.follow(
      (records) => {
        let text = '';
        for (const rec of records) if (filter.accepts(rec)) text += `${render(rec)}\n`;
        // Held back while stdout is backed up.
        if (text !== '' && !process.stdout.write(text)) return new Promise<void>((resolve) => process.stdout.once('drain', resolve));
      },
      {
        filter,
        ...(since === undefined ? {} : { since }),
        ...(o.last === undefined ? {} : { last: o.last }),
        // Said as it happens: a tail has no "afterwards".
        onBadLine: (offset) => out.warn(`skipped an unreadable record at byte ${offset} of ${history.name}: a write torn by a crash, or corruption`),
        onError: (err) => out.warn(`lost ${history.name}: ${err.message.split('\n')[0]}; retrying`),
      },
    );
    const finish = (): void => following.stop();
    process.on('SIGINT', finish);
    process.on('SIGTERM', finish);
    // `etsyhook tail | head` closing the pipe is a normal way to stop.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') finish();
    });
    if (empty) out.info(`following ${history.name}: waiting for events (start a receiver with \`etsyhook dev\`)…`);
    else out.info(out.c.dim(`following ${history.name}; Ctrl-C to stop`));
    await following.done;
    process.off('SIGINT', finish);
    process.off('SIGTERM', finish);
  } finally {
    await history.close();
  }
}
