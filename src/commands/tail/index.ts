// `etsyhook tail`: follow, live, what a receiver stores (from another terminal, even before the receiver starts).
import { plural } from '../../format.js';
import type { Command } from '../shared/commander.js';
import type { StoreRecord } from '../../core/log/records.js';
import type { Output } from '../../ui/output.js';
import { attemptJson, receivedJson } from '../../ui/present.js';
import { formatEventLine } from '../../ui/event-line.js';
import { context, type GlobalOptions } from '../shared/context.js';
import { openHistory } from '../../core/history/index.js';
import { TailFilter } from '../../core/log/follower.js';
import { addFilterOptions, filtersOf, type ParsedFilterFlags, type ParsedFilters } from '../shared/filters.js';
import { lifecycle } from '../shared/lifecycle.js';
import { queueOption, queueUrl } from '../shared/queue.js';
import { intOption } from '../shared/flags.js';

export interface TailOptions {
  filters: ParsedFilters;
  json: boolean;
  /** --queue / ETSYHOOK_QUEUE: follow the Redis history instead of the file log. */
  queue: string | undefined;
  /** --last N: first the last N records that match, read from the end. */
  last: number | undefined;
}

export function parseTailOptions(raw: ParsedFilterFlags & GlobalOptions & { queue?: string; last?: number }): TailOptions {
  return { filters: filtersOf(raw), json: raw.json ?? false, queue: queueUrl(raw.queue), last: raw.last };
}

export function register(program: Command): void {
  const tail = program
    .command('tail')
    .description('follow, live, what a running receiver accepts and delivers (works from another terminal)');
  addFilterOptions(tail, {
    status: 'only lines with this status',
    since: 'first show what is already stored from this far back (30m, 2h, 7d) or since a date',
  })
    .addOption(queueOption('follow the Redis history every serve and worker writes, instead of the local store (env ETSYHOOK_QUEUE)'))
    .addOption(intOption('--last <n>', 'first show the last N records that match the filters (read from the end), then follow'))
    .addHelpText(
      'after',
      `
One line per received request and per delivery attempt (→). A request's status is the receiver's verdict
(accepted, rejected, duplicate, ignored); an attempt's is its outcome (delivered, failed, dead).
--json: one object per line with kind (received|delivery), id, type, status, at, httpStatus (what the receiver
answered, or what the app answered an attempt), and for attempts ms, error, target, attempt. Stop with Ctrl-C (exit 130).

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
): (rec: StoreRecord) => string {
  return (rec) => {
    const type = typeOf(rec);
    if (!o.json) return formatEventLine(rec, out.cOut, { ...(type === undefined ? {} : { type }), ...(o.queue === undefined ? {} : { queue: o.queue }) });
    return JSON.stringify(rec.kind === 'received' ? receivedJson(rec) : attemptJson(rec, { type, webhookId: webhookIdOf(rec) }));
  };
}

async function followLog(o: TailOptions, out: Output): Promise<void> {
  for (const w of o.filters.warnings) out.warn(w);
  const { types, statuses, since } = o.filters;
  const filter = new TailFilter({ types, statuses, ...(since === undefined ? {} : { since }) });
  const render = renderer(
    o,
    out,
    (rec) => filter.typeOf(rec),
    (rec) => filter.webhookIdOf(rec),
  );
  // Ctrl-C: exit 130; SIGTERM, or `etsyhook tail | head` closing the pipe: exit 0.
  const life = lifecycle();
  // The queue when one is named (the home is not touched then), else the file log.
  const history = await openHistory({ queue: o.queue });
  let shown = 0;
  try {
    const empty = await history.isEmpty();
    const following = history.follow(
      (records) => {
        let text = '';
        for (const rec of records) {
          if (!filter.accepts(rec)) continue;
          text += `${render(rec)}\n`;
          shown++;
        }
        // Held back while stdout is backed up.
        if (text !== '' && !out.raw(text)) return out.drained();
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
    void life.stopped.then(() => following.stop());
    if (empty) out.info(`following ${history.name}: waiting for events (start a receiver with \`etsyhook dev\`)…`);
    else out.info(out.c.dim(`following ${history.name}; Ctrl-C to stop`));
    await following.done;
  } finally {
    life.dispose();
    await history.close();
  }
  if (life.reason !== undefined && life.reason !== 'EPIPE') out.info(`stopped: ${plural(shown, 'record')} shown`);
  life.end();
}
