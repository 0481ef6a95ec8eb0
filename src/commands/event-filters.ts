// Flags and messages shared by `events`, `replay` and `tail`: --type, --status, --since, the store's location, and
// the warning about unreadable records.
import { statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { parseSince, storeDir } from '../config.js';
import { closeMatches, EVENT_TYPE_NAMES } from '../core/events/catalog.js';
import { splitList } from '../core/events/globs.js';
import { EVENT_STATUSES, type EventStatus } from '../core/log/records.js';
import { logPath } from '../core/log/store.js';
import type { Output } from '../ui/output.js';

export const STATUS_HELP = 'accepted, rejected, duplicate, ignored, delivered, failed, dead';

export interface FilterFlags {
  type?: string[];
  status?: string[];
  since?: string;
}

export interface ParsedFilters {
  types: string[];
  statuses: EventStatus[];
  since: number | undefined;
}

export function parseFilters(flags: FilterFlags, out: Output): ParsedFilters {
  return { types: parseTypes(flags.type, out), statuses: parseStatuses(flags.status), since: parseSinceFlag('--since', flags.since) };
}

export function parseSinceFlag(name: string, raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : parseSince(name, raw);
}

export function parseStatuses(raw: string[] | undefined): EventStatus[] {
  const statuses = splitList(raw).map((s) => s.toLowerCase());
  for (const s of statuses) {
    if (!(EVENT_STATUSES as readonly string[]).includes(s)) {
      throw new UsageError(`--status must be one of ${STATUS_HELP}; got '${s}'`);
    }
  }
  return statuses as EventStatus[];
}

/** Type globs; a plain name etsyhook does not know gets a warning (stores may hold other types, so not an error). */
export function parseTypes(raw: string[] | undefined, out: Output): string[] {
  const types = splitList(raw);
  for (const t of types) {
    if (/[*?]/.test(t) || EVENT_TYPE_NAMES.includes(t)) continue;
    const close = closeMatches(t);
    out.warn(`'${t}' is not an event type etsyhook knows${close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : ''}`);
  }
  return types;
}

export interface StoreLocation {
  dir: string;
  file: string;
  /** Bytes in the log now (0 when it does not exist yet). */
  size: number;
}

export function storeLocation(): StoreLocation {
  const dir = storeDir();
  const file = logPath(dir);
  let size = 0;
  try {
    size = statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { dir, file, size };
}

export function emptyStoreMessage(loc: StoreLocation): string {
  return `no events stored yet (${loc.dir}); start a receiver with \`etsyhook dev\`, then send one with \`etsyhook send order.paid\``;
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
      const what = count === 1 ? `1 unreadable record at byte ${first}` : `${count} unreadable records (the first at byte ${first})`;
      out.warn(`skipped ${what} of ${file}: a write torn by a crash, or corruption`);
    },
  };
}
