// Flags and messages shared by `events`, `replay` and `tail`: --type, --status, --since, the store's location, and
// the warning about unreadable records.
import type { Command } from 'commander';
import { closeMatches, isKnownName, withCurrentNames } from '../../core/events/catalog.js';
import type { EventStatus } from '../../core/log/records.js';
import type { Output } from '../../ui/output.js';
import { listOption, sinceOption, statusOption, STATUS_HELP } from './flags.js';
import { unreadableRecords } from '../../ui/words.js';

/** What commander hands over for the filter flags added by addFilterOptions (already parsed by flags.ts). */
export interface ParsedFilterFlags {
  type?: string[];
  status?: EventStatus[];
  since?: number;
}

export interface ParsedFilters {
  types: string[];
  statuses: EventStatus[];
  since: number | undefined;
  /** Said on stderr by the command: plain type names etsyhook does not know (a store may hold other types). */
  warnings: string[];
}

/** Add --type, --status and --since, worded for `what` (events, lines). */
export function addFilterOptions(cmd: Command, what: { type?: string; status: string; since: string }): Command {
  return cmd
    .addOption(listOption('--type <types>', what.type ?? 'only these event types: names or globs, comma-separated (order.*,listing.created)'))
    .addOption(statusOption('--status <statuses>', `${what.status} (comma-separated): ${STATUS_HELP}`))
    .addOption(sinceOption('--since <when>', what.since));
}

export function filtersOf(flags: ParsedFilterFlags): ParsedFilters {
  const given = flags.type ?? [];
  const { patterns: types, warnings } = withCurrentNames(given);
  return { types, statuses: flags.status ?? [], since: flags.since, warnings: [...warnings, ...unknownTypeWarnings(given)] };
}

/** A plain name etsyhook does not know gets a warning, not an error: stores may hold other types. */
export function unknownTypeWarnings(types: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const t of types) {
    if (/[*?]/.test(t) || isKnownName(t)) continue;
    const close = closeMatches(t);
    warnings.push(`'${t}' is not an event type etsyhook knows${close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : ''}`);
  }
  return warnings;
}

/** Said when the history holds nothing at all (`where`: the store directory, or the queue). */
export function emptyStoreMessage(history: { where: string }): string {
  return `no events stored yet (${history.where}); start a receiver with \`etsyhook dev\`, then send one with \`etsyhook send order.paid\``;
}

/** Counts unreadable lines during a scan and says so once, afterwards, on stderr. */
export function badLineReporter(out: Output, file: string): { onBadLine: (offset: number, length: number) => void; report: () => void } {
  let count = 0;
  let first = -1;
  return {
    onBadLine: (offset) => {
      count++;
      if (first < 0 || offset < first) first = offset;
    },
    report: () => {
      if (count === 0) return;
      out.warn(unreadableRecords(count, first, file));
    },
  };
}
