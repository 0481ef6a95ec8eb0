// `etsyhook events …`: the event-type catalog, and what the receiver stored (list, show, clear).
import type { Command } from 'commander';
import { OperationError, UsageError } from '../errors.js';
import { catalogEntries, SOURCE_NOTES } from '../core/events/catalog.js';
import type { Output } from '../ui/output.js';
import { context, type GlobalOptions } from './common.js';
import { bodyBytes } from '../core/log/records.js';
import { addApiOptions, openSession, type ApiFlags } from './etsy-shared.js';
import { openHistory } from '../core/history/index.js';
import { addFilterOptions, badLineReporter, emptyStoreMessage, filtersOf, type ParsedFilterFlags, type ParsedFilters } from './event-filters.js';
import { intOption, listOption, sinceOption } from './flags.js';
import { queueUrl } from './queue-options.js';

const QUEUE_HELP = 'read the Redis history serve and worker keep instead of the local store (env ETSYHOOK_QUEUE)';

/** The default page of `events list`. */
export const DEFAULT_LIST_LIMIT = 50;

// ---- events list -----------------------------------------------------------------------------------------------

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
    const { eventJson } = await import('../ui/present.js');
    const { types, statuses, since } = o.filters;
    const bad = badLineReporter(out, history.name);
    const scan = history.events({ types, statuses, webhookIds: o.webhookIds, ...(since === undefined ? {} : { since }) }, { onBadLine: bad.onBadLine });
    // Streamed: each event becomes output (JSON text or table cells) as it is read, so a large --limit holds no
    // more than the output itself.
    const { eventRow, renderEventRows } = await import('../ui/event-table.js');
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
    const { outputWidth } = await import('../ui/table.js');
    out.line(renderEventRows(rows, out.cOut, outputWidth()));
    if (count === o.limit) out.info(out.c.dim(`showing the newest ${o.limit}; --limit N for more`));
  } finally {
    await history.close();
  }
}

// ---- events show -----------------------------------------------------------------------------------------------

export interface RawShowOptions extends ApiFlags, GlobalOptions {
  raw?: boolean;
  expand?: boolean;
  queue?: string;
}

export interface ShowOptions {
  ref: string;
  raw: boolean;
  expand: boolean;
  json: boolean;
  api: ApiFlags;
  queue: string | undefined;
}

export function parseShowOptions(ref: string, raw: RawShowOptions): ShowOptions {
  if (raw.raw && raw.json) throw new UsageError('--raw and --json cannot be combined: pick one output');
  if (ref.trim() === '') throw new UsageError('name the event: etsyhook events show <id>');
  const { apiBase, timeout, shop } = raw;
  return {
    ref: ref.trim(),
    raw: raw.raw ?? false,
    expand: raw.expand ?? false,
    json: raw.json ?? false,
    api: { ...(apiBase === undefined ? {} : { apiBase }), ...(timeout === undefined ? {} : { timeout }), ...(shop === undefined ? {} : { shop }) },
    queue: queueUrl(raw.queue),
  };
}

async function showEvent(o: ShowOptions, out: Output): Promise<void> {
  const { resolveRef } = await import('../core/log/query.js');
  const history = await openHistory({ queue: o.queue });
  let match: import('../core/log/query.js').RefMatch | undefined;
  try {
    const bad = badLineReporter(out, history.name);
    [match] = await history.find([o.ref], { onBadLine: bad.onBadLine });
    bad.report();
  } finally {
    await history.close();
  }
  const ev = resolveRef(match!);
  // A webhook-id received more than once: the accepted record is shown; say where the others are.
  if (match!.others !== undefined) {
    out.info(`webhook-id ${ev.record.webhookId} was received ${match!.others.length + 1} times: showing ${ev.record.id} (${ev.record.status}); also ${match!.others.join(', ')}`);
  }
  if (o.raw) {
    out.raw(bodyBytes(ev.record));
    return;
  }
  const { eventDetailJson, renderEventDetail, prettyJson } = await import('../ui/event-detail.js');
  let fetchResource: (() => Promise<{ url: string; data: unknown }>) | undefined;
  if (o.expand) {
    const { resourceUrlOf } = await import('../core/events/resource.js');
    const url = resourceUrlOf(ev.record);
    if (url === undefined) {
      throw new OperationError(`event ${ev.record.id} names no Etsy resource to fetch (no resource_url, or resource_id and shop_id)`);
    }
    const session = await openSession(o.api, out);
    fetchResource = async () => ({ url, data: await session.getJson(url) });
  }
  if (o.json) {
    const resource = fetchResource ? await fetchResource() : undefined;
    out.data({ ...eventDetailJson(ev), ...(match!.others ? { duplicates: match!.others } : {}), ...(resource ? { resource } : {}) });
    return;
  }
  out.raw(renderEventDetail(ev, out.cOut));
  if (fetchResource) {
    // The event first: if the API call fails, what was stored has still been shown.
    const resource = await fetchResource();
    out.raw(`\n${out.cOut.bold('Resource')} ${out.cOut.dim(`(GET ${resource.url})`)}\n${prettyJson(JSON.stringify(resource.data))}\n`);
  }
}

// ---- events clear ----------------------------------------------------------------------------------------------

export interface RawClearOptions extends GlobalOptions {
  olderThan?: number;
  yes?: boolean;
}

export interface ClearOptions {
  /** Delete events received before this time (ms since epoch); undefined: all. */
  olderThan: number | undefined;
  yes: boolean;
  json: boolean;
}

export function parseClearOptions(raw: RawClearOptions): ClearOptions {
  return { olderThan: raw.olderThan, yes: raw.yes ?? false, json: raw.json ?? false };
}

async function clearStoredEvents(o: ClearOptions, out: Output): Promise<void> {
  // The file log under ETSYHOOK_HOME (the only history that can be cleared: `clear` takes no --queue).
  const history = await openHistory();
  if (history.clear === undefined) throw new UsageError(`events clear cannot delete from ${history.name}`);
  const what = o.olderThan === undefined ? 'every stored event' : `events received before ${new Date(o.olderThan).toISOString()}`;
  if (!o.yes) {
    if (!out.interactive) throw new UsageError(`events clear deletes ${what}: pass --yes to confirm`);
    const { askConfirm } = await import('../ui/prompts.js');
    if (!(await askConfirm(`Delete ${what} from ${history.where}?`))) throw new OperationError('cancelled; nothing was deleted');
  }
  const result = await history.clear(o.olderThan === undefined ? {} : { olderThan: o.olderThan });
  if (o.json) {
    out.data({ removed: result.removedEvents, kept: result.keptEvents, bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter });
  }
  if (result.droppedBadLines > 0) out.warn(`dropped ${plural(result.droppedBadLines, 'unreadable record')} (torn writes or corruption)`);
  out.success(
    `removed ${plural(result.removedEvents, 'event')}, kept ${plural(result.keptEvents, 'event')} ` +
      `(${formatBytes(result.bytesBefore)} → ${formatBytes(result.bytesAfter)})`,
  );
}

// ---- events types ----------------------------------------------------------------------------------------------

function listTypes(out: Output): void {
  const entries = catalogEntries();
  if (out.json) {
    out.data(entries);
    return;
  }
  const width = Math.max(...entries.map((t) => t.name.length));
  const sourceWidth = Math.max(...entries.map((t) => t.source.length));
  for (const t of entries) out.line(`${t.name.padEnd(width)}  ${t.source.padEnd(sourceWidth)}  ${t.description}`);
  // What the source column means, for humans (stderr: stdout stays the table).
  out.info('');
  for (const [source, note] of Object.entries(SOURCE_NOTES)) out.info(`${source.padEnd(sourceWidth)}  ${note}`);
}

// ---- registration ----------------------------------------------------------------------------------------------

export function register(program: Command): void {
  const events = program
    .command('events')
    .description('inspect stored events, and the catalog of event types')
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook events list --type 'order.*' --since 2h
  $ etsyhook events show evt_4k2j                    a unique prefix is enough
  $ etsyhook events show evt_4k2j --raw > fixture.json
  $ etsyhook events types --json`,
    );

  registerList(events);
  registerShow(events);
  registerClear(events);
  events
    .command('types')
    .description("list the event types etsyhook knows: Etsy's, those Etsy announced, and the seed chapter's")
    .addHelpText('after', "\nThe source column: etsy = documented and delivered by Etsy today; announced = announced by Etsy for\nwebhooks, not yet in its reference; seed = the seed chapter's receiver only.\n\nExample:\n  $ etsyhook events types --json | jq -r '.[] | select(.source == \"etsy\") | .name'")
    .action((_flags: object, cmd: Command) => listTypes(context(cmd).out));
}

function registerList(events: Command): void {
  const list = events.command('list').description('stored events, newest first');
  addFilterOptions(list, {
    status: 'only events with this status',
    since: 'only events received within a duration (30m, 2h, 7d) or since a date (2026-01-31)',
  })
    .addOption(listOption('--webhook-id <ids>', "only events with this webhook-id (Etsy's id, as its portal and your app's logs show it; comma-separated)"))
    .addOption(intOption('--limit <n>', 'at most N events', { min: 1 }).default(DEFAULT_LIST_LIMIT))
    .option('--queue <url>', QUEUE_HELP)
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

function registerShow(events: Command): void {
  const show = events
    .command('show')
    .description('one stored event: headers, body, verdict and every delivery attempt')
    .argument('<id>', 'the event id (evt_…) or its webhook-id (msg_…), or a unique prefix of either')
    .option('--raw', 'write the exact stored body bytes to stdout, nothing else')
    .option('--expand', 'also fetch the resource the event names (its resource_url) from the Etsy API, as the logged-in user')
    .option('--queue <url>', QUEUE_HELP);
  show.options.find((o) => o.long === '--raw')!.conflicts('expand');
  addApiOptions(show)
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook events show evt_4k2j
  $ etsyhook events show msg_2a7Xk9                     by webhook-id, as Etsy's portal and your app's logs show it
  $ etsyhook events show evt_4k2j --raw > fixture.json && etsyhook send order.paid --data fixture.json
  $ etsyhook events show evt_4k2j --expand              the receipt behind an order.paid (needs etsyhook auth login)
  $ etsyhook events show evt_4k2j --json | jq .headers`,
    )
    .action(async (ref: string, _flags: object, cmd: Command) => {
      const { opts, out } = context<RawShowOptions>(cmd);
      await showEvent(parseShowOptions(ref, opts), out);
    });

}

function registerClear(events: Command): void {
  events
    .command('clear')
    .description('delete stored events (all, or those older than a duration) and their delivery attempts')
    .addOption(sinceOption('--older-than <when>', 'only events received before this long ago (30m, 2h, 7d) or before a date'))
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .addHelpText(
      'after',
      `
The log is rewritten into a temporary file and renamed over the original, so a crash never leaves half a log.

Examples:
  $ etsyhook events clear --older-than 7d --yes
  $ etsyhook events clear --yes                      everything`,
    )
    .action(async (_flags: object, cmd: Command) => {
      const { opts, out } = context<RawClearOptions>(cmd);
      await clearStoredEvents(parseClearOptions(opts), out);
    });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
