// events clear: drop stored events (all, or older than a point), compacting the file log.
import type { Command } from '../shared/commander.js';
import { OperationError, UsageError } from '../../errors.js';
import type { Output } from '../../ui/output.js';
import { context, type GlobalOptions } from '../shared/context.js';
import { openHistory } from '../../core/history/index.js';
import { sinceOption } from '../shared/flags.js';
import { bytesInWords, plural } from '../../format.js';

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
    const { askConfirm } = await import('../../ui/prompts.js');
    if (!(await askConfirm(`Delete ${what} from ${history.where}?`))) throw new OperationError('cancelled; nothing was deleted');
  }
  const result = await history.clear(o.olderThan === undefined ? {} : { olderThan: o.olderThan });
  if (o.json) {
    out.data({ removed: result.removedEvents, kept: result.keptEvents, bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter });
  }
  if (result.droppedBadLines > 0) out.warn(`dropped ${plural(result.droppedBadLines, 'unreadable record')} (torn writes or corruption)`);
  out.success(
    `removed ${plural(result.removedEvents, 'event')}, kept ${plural(result.keptEvents, 'event')} ` +
      `(${bytesInWords(result.bytesBefore)} → ${bytesInWords(result.bytesAfter)})`,
  );
}

// ---- events types ----------------------------------------------------------------------------------------------

export function registerClear(events: Command): void {
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
