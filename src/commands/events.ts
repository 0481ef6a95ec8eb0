// `etsyhook events …`: the event-type catalog, and what the receiver stored (list, show, clear).
import type { Command } from 'commander';
import { collect, context } from './common.js';
import { STATUS_HELP, type FilterFlags } from './event-filters.js';
import { addApiOptions, type ApiFlags } from './etsy-shared.js';

interface ListFlags extends FilterFlags {
  limit?: string;
}

interface ShowFlags extends ApiFlags {
  raw?: boolean;
  expand?: boolean;
}

interface ClearFlags {
  olderThan?: string;
  yes?: boolean;
}

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

  events
    .command('list')
    .description('stored events, newest first')
    .option('--type <types>', 'only these event types: names or globs, comma-separated (order.*,listing.created)', collect)
    .option('--status <statuses>', `only events with this status (comma-separated): ${STATUS_HELP}`, collect)
    .option('--since <when>', 'only events received within a duration (30m, 2h, 7d) or since a date (2026-01-31)')
    .option('--limit <n>', 'at most N events', '50')
    .addHelpText(
      'after',
      `
An accepted event's status is where its delivery stands (delivered, failed, dead) once it has been forwarded.

Examples:
  $ etsyhook events list --type 'order.*' --status failed,dead
  $ etsyhook events list --since 30m --json | jq -r '.[].id'`,
    )
    .action(async (_flags: ListFlags, cmd: Command) => {
      const { opts, out } = context<ListFlags>(cmd);
      const { parseIntFlag } = await import('../config.js');
      const f = await import('./event-filters.js');
      const filters = f.parseFilters(opts, out);
      const limit = parseIntFlag('--limit', opts.limit, { min: 1 }) ?? 50;
      const loc = f.storeLocation();
      if (loc.size === 0) {
        if (out.json) out.data([]);
        else out.info(f.emptyStoreMessage(loc));
        return;
      }
      const { queryEvents } = await import('../core/log/query.js');
      const { eventJson } = await import('../ui/present.js');
      const bad = f.badLineReporter(out, loc.file);
      const scan = queryEvents(
        loc.file,
        { types: filters.types, statuses: filters.statuses, ...(filters.since === undefined ? {} : { since: filters.since }) },
        { onBadLine: bad.onBadLine, end: loc.size },
      );
      // Streamed: each event becomes output (JSON text or table cells) as it is read, so a large --limit holds no
      // more than the output itself.
      const { eventRow, renderEventRows } = await import('../ui/event-table.js');
      const rows: string[][] = [];
      let count = 0;
      let json = '';
      for (const ev of scan) {
        if (out.json) {
          json += `${count === 0 ? '[' : ','}${JSON.stringify(eventJson(ev))}`;
          if (json.length >= 1 << 20) {
            out.raw(json);
            json = '';
          }
        } else rows.push(eventRow(ev, out.cOut));
        count++;
        if (count >= limit) break;
      }
      bad.report();
      if (out.json) {
        out.raw(`${count === 0 ? '[' : json}]\n`);
        return;
      }
      if (count === 0) {
        out.info('no stored events match');
        return;
      }
      out.line(renderEventRows(rows, out.cOut));
      if (count === limit) out.info(out.c.dim(`showing the newest ${limit}; --limit N for more`));
    });

  const show = events
    .command('show')
    .description('one stored event: headers, body, verdict and every delivery attempt')
    .argument('<id>', 'the event id (evt_…), or a unique prefix of it')
    .option('--raw', 'write the exact stored body bytes to stdout, nothing else')
    .option('--expand', "also fetch the resource the event names (its resource_url) from the Etsy API, as the logged-in user");
  addApiOptions(show);
  show
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook events show evt_4k2j
  $ etsyhook events show evt_4k2j --raw > fixture.json && etsyhook send order.paid --data fixture.json
  $ etsyhook events show evt_4k2j --expand              the receipt behind an order.paid (needs etsyhook auth login)
  $ etsyhook events show evt_4k2j --json | jq .headers`,
    )
    .action(async (ref: string, _flags: ShowFlags, cmd: Command) => {
      const { opts, out } = context<ShowFlags>(cmd);
      const { UsageError, OperationError } = await import('../errors.js');
      if (opts.raw && out.json) throw new UsageError('--raw and --json cannot be combined: pick one output');
      if (opts.raw && opts.expand) throw new UsageError('--raw writes only the body: drop --expand');
      if (ref.trim() === '') throw new UsageError('name the event: etsyhook events show <id>');
      const f = await import('./event-filters.js');
      const loc = f.storeLocation();
      const { findEvents, resolveRef } = await import('../core/log/query.js');
      const bad = f.badLineReporter(out, loc.file);
      const [match] = findEvents(loc.file, [ref], { onBadLine: bad.onBadLine, end: loc.size });
      bad.report();
      const ev = resolveRef(match!);
      const { bodyBytes } = await import('../core/log/records.js');
      if (opts.raw) {
        out.raw(bodyBytes(ev.record));
        return;
      }
      const { eventDetailJson, renderEventDetail, prettyJson } = await import('../ui/event-detail.js');
      let fetchResource: (() => Promise<{ url: string; data: unknown }>) | undefined;
      if (opts.expand) {
        const { resourceUrlOf } = await import('../core/events/resource.js');
        const url = resourceUrlOf(ev.record);
        if (url === undefined) {
          throw new OperationError(`event ${ev.record.id} names no Etsy resource to fetch (no resource_url, or resource_id and shop_id)`);
        }
        const { openSession } = await import('./etsy-shared.js');
        const session = await openSession(opts, out);
        fetchResource = async () => ({ url, data: await session.getJson(url) });
      }
      if (out.json) {
        const resource = fetchResource ? await fetchResource() : undefined;
        out.data({ ...eventDetailJson(ev), ...(resource ? { resource } : {}) });
        return;
      }
      out.raw(renderEventDetail(ev, out.cOut));
      if (fetchResource) {
        // The event first: if the API call fails, what was stored has still been shown.
        const resource = await fetchResource();
        out.raw(`\n${out.cOut.bold('Resource')} ${out.cOut.dim(`(GET ${resource.url})`)}\n${prettyJson(JSON.stringify(resource.data))}\n`);
      }
    });

  events
    .command('clear')
    .description('delete stored events (all, or those older than a duration) and their delivery attempts')
    .option('--older-than <when>', 'only events received before this long ago (30m, 2h, 7d) or before a date')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .addHelpText(
      'after',
      `
The log is rewritten into a temporary file and renamed over the original, so a crash never leaves half a log.

Examples:
  $ etsyhook events clear --older-than 7d --yes
  $ etsyhook events clear --yes                      everything`,
    )
    .action(async (_flags: ClearFlags, cmd: Command) => {
      const { opts, out } = context<ClearFlags>(cmd);
      const { UsageError, OperationError } = await import('../errors.js');
      const f = await import('./event-filters.js');
      const cutoff = f.parseSinceFlag('--older-than', opts.olderThan);
      const loc = f.storeLocation();
      const what = cutoff === undefined ? 'every stored event' : `events received before ${new Date(cutoff).toISOString()}`;
      if (!opts.yes) {
        if (!out.interactive) throw new UsageError(`events clear deletes ${what}: pass --yes to confirm`);
        const { askConfirm } = await import('../ui/prompts.js');
        if (!(await askConfirm(`Delete ${what} from ${loc.dir}?`))) throw new OperationError('cancelled; nothing was deleted');
      }
      const { clearEvents } = await import('../core/log/clear.js');
      const result = await clearEvents(loc.file, cutoff === undefined ? {} : { olderThan: cutoff });
      if (out.json) {
        out.data({ removed: result.removedEvents, kept: result.keptEvents, bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter });
      }
      if (result.droppedBadLines > 0) out.warn(`dropped ${result.droppedBadLines} unreadable record(s) (torn writes or corruption)`);
      out.success(
        `removed ${plural(result.removedEvents, 'event')}, kept ${plural(result.keptEvents, 'event')} ` +
          `(${formatBytes(result.bytesBefore)} → ${formatBytes(result.bytesAfter)})`,
      );
    });

  events
    .command('types')
    .description('list the event types etsyhook knows (Etsy\'s order.* events and the seed chapter\'s)')
    .addHelpText('after', '\nExample:\n  $ etsyhook events types --json | jq -r \'.[].name\'')
    .action(async (_opts: object, cmd: Command) => {
      const { out } = context(cmd);
      const { EVENT_TYPES } = await import('../core/events/catalog.js');
      if (out.json) {
        out.data(EVENT_TYPES.map(({ name, source, description }) => ({ name, source, description })));
        return;
      }
      const width = Math.max(...EVENT_TYPES.map((t) => t.name.length));
      for (const t of EVENT_TYPES) out.line(`${t.name.padEnd(width)}  ${t.source.padEnd(4)}  ${t.description}`);
    });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
