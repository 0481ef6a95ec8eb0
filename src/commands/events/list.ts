// events list: stored events, newest first (a table, or --json), from the file log or the Redis history.
import type { Command } from '../shared/commander.js';
import type { Output } from '../../ui/output.js';
import { context, type GlobalOptions } from '../shared/context.js';
import { openHistory } from '../../core/history/index.js';
import { addFilterOptions, badLineReporter, emptyStoreMessage, filtersOf, type ParsedFilterFlags, type ParsedFilters } from '../shared/filters.js';
import { intOption, listOption } from '../shared/flags.js';
import { queueOption, queueUrl } from '../shared/queue.js';
import { eventJson } from '../../ui/present.js';
import { eventRow, renderEventRows } from '../../ui/event-table.js';
import { outputWidth } from '../../ui/table.js';

export const QUEUE_HELP = 'read the Redis history serve and worker keep instead of the local store (env ETSYHOOK_QUEUE)';

/** The default page of `events list`. */
export const DEFAULT_LIST_LIMIT = 50;


export interface RawListOptions extends ParsedFilterFlags, GlobalOptions {
  webhookId?: string[];
  limit?: number;
  queue?: string;
}

export interface ListOptions {
  filters: ParsedFilters;
  webhookIds: string[];
  limit: number;
  json: boolean;
  /** --queue / ETSYHOOK_QUEUE: read the Redis history instead of the file log. */
  queue: string | undefined;
}

export function parseListOptions(raw: RawListOptions): ListOptions {
  return { filters: filtersOf(raw), webhookIds: raw.webhookId ?? [], limit: raw.limit ?? DEFAULT_LIST_LIMIT, json: raw.json ?? false, queue: queueUrl(raw.queue) };
}

async function listEvents(o: ListOptions, out: Output): Promise<void> {
  for (const w of o.filters.warnings) out.warn(w);
  const history = await openHistory({ queue: o.queue });
  try {
    if (await history.isEmpty()) {
      if (o.json) out.data([]);
      else out.info(emptyStoreMessage(history));
      return;
    }
    const { types, statuses, since } = o.filters;
    const bad = badLineReporter(out, history.name);
    const scan = history.events({ types, statuses, webhookIds: o.webhookIds, ...(since === undefined ? {} : { since }) }, { onBadLine: bad.onBadLine });
    // Streamed: each event becomes output (JSON text or table cells) as it is read, so a large --limit holds no
    // more than the output itself.
    const rows: string[][] = [];
    let count = 0;
    let json = '';
    for await (const ev of scan) {
      if (o.json) {
        json += `${count === 0 ? '[' : ','}${JSON.stringify(eventJson(ev))}`;
        if (json.length >= 1 << 20) {
          out.raw(json);
          json = '';
        }
      } else rows.push(eventRow(ev, out.cOut));
      count++;
      if (count >= o.limit) break;
    }
    bad.report();
    if (o.json) {
      out.raw(`${count === 0 ? '[' : json}]\n`);
      return;
    }
    if (count === 0) {
      out.info('no stored events match');
      return;
    }
    out.line(renderEventRows(rows, out.cOut, outputWidth()));
    if (count === o.limit) out.info(out.c.dim(`showing the newest ${o.limit}; --limit N for more`));
  } finally {
    await history.close();
  }
}

// ---- events show -----------------------------------------------------------------------------------------------

export function registerList(events: Command): void {
  const list = events.command('list').description('stored events, newest first');
  addFilterOptions(list, {
    status: 'only events with this status',
    since: 'only events received within a duration (30m, 2h, 7d) or since a date (2026-01-31)',
  })
    .addOption(listOption('--webhook-id <ids>', "only events with this webhook-id (Etsy's id, as its portal and your app's logs show it; comma-separated)"))
    .addOption(intOption('--limit <n>', 'at most N events', { min: 1 }).default(DEFAULT_LIST_LIMIT))
    .addOption(queueOption(QUEUE_HELP))
    .addHelpText(
      'after',
      `
An accepted event's status is where its delivery stands (delivered, failed, dead) once it has been forwarded, with
the number of attempts (×N) and the last one's answer; a rejected one's is followed by the reason. Times are local.

Examples:
  $ etsyhook events list --type 'order.*' --status failed,dead
  $ etsyhook events list --webhook-id msg_2x9KkqO0sW5yC3ZpT1nR8bQe
  $ etsyhook events list --since 30m --json | jq -r '.[].id'`,
    )
    .action(async (_flags: object, cmd: Command) => {
      const { opts, out } = context<RawListOptions>(cmd);
      await listEvents(parseListOptions(opts), out);
    });

}
