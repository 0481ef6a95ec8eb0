// What a starting receiver needs from its store: the webhook-ids already accepted (duplicates are acknowledged but
// not dispatched twice) and the deliveries left pending by the last run. A bounded backwards scan: the recent days
// only, so start-up stays fast on a large store.
import { closeSync, openSync, readSync } from 'node:fs';
import { looksComplete } from './scan.js';
import { readBackward } from './store.js';
import type { ReceivedRecord } from './records.js';

export interface RecentState {
  /** webhook-ids of accepted events, oldest first. */
  acceptedIds: string[];
  /** Accepted events meant for forwarding whose delivery neither succeeded nor died, oldest first. */
  pending: { event: ReceivedRecord; attempts: number; routes?: Map<string, { attempts: number; settled: boolean }> }[];
  /** Records read. */
  scanned: number;
  /** Unreadable lines skipped: a write torn by a crash, or corruption (which of the two, a line cannot tell). */
  badLines: number;
  /** Byte offset of the first of them in the file. */
  firstBadOffset?: number;
  /** The only one is the log's last line, cut short: a write torn by a crash, which was never acknowledged (a 200
   *  waits for the whole record to be on disk). */
  tornTail?: boolean;
  /** True when the scan stopped at maxRecords before reaching the time limit. */
  truncated: boolean;
}

/**
 * After a crash, every pending event may have had one more attempt than its records show: sent, perhaps received by
 * the app, and not yet recorded. Count it, so the next attempt's number (`x-etsyhook-attempt`) tells the app that
 * this may be a redelivery.
 */
export function countUnrecordedAttempts(recent: RecentState): void {
  for (const p of recent.pending) {
    if (p.routes === undefined) {
      p.attempts++;
      continue;
    }
    for (const label of p.event.routes ?? []) {
      const r = p.routes.get(label);
      if (r === undefined) p.routes.set(label, { settled: false, attempts: 1 });
      else if (!r.settled) r.attempts++;
    }
  }
}

export const RECENT_WINDOW_MS = 7 * 86_400_000;
export const RECENT_MAX_RECORDS = 200_000;

export function scanRecent(file: string, options: { sinceMs?: number; maxRecords?: number; now?: number } = {}): RecentState {
  const cutoff = new Date((options.now ?? Date.now()) - (options.sinceMs ?? RECENT_WINDOW_MS)).toISOString();
  const maxRecords = options.maxRecords ?? RECENT_MAX_RECORDS;
  const acceptedIds: string[] = [];
  const pending: RecentState['pending'] = [];
  // Newest first, deliveries are met before their event: remember per event id (and per route) whether delivery is settled.
  type Progress = { settled: boolean; attempts: number };
  const deliveries = new Map<string, Progress & { routes?: Map<string, Progress> }>();
  let scanned = 0;
  let badLines = 0;
  let firstBadOffset: number | undefined;
  let lastLineTorn = false;
  let truncated = false;
  for (const rec of readBackward(file, {
    onBadLine: (offset, length) => {
      if (badLines === 0 && scanned === 0) lastLineTorn = cutShort(file, offset, length);
      badLines++;
      firstBadOffset = offset; // read backwards: the last one seen is the first in the file
    },
  })) {
    if (rec.at < cutoff) break;
    if (++scanned > maxRecords) {
      truncated = true;
      break;
    }
    if (rec.kind === 'delivery') {
      let d = deliveries.get(rec.id);
      if (!d) {
        d = { settled: false, attempts: 0 };
        deliveries.set(rec.id, d);
      }
      let p: Progress = d;
      if (rec.route !== undefined) {
        d.routes ??= new Map();
        p = d.routes.get(rec.route) ?? { settled: false, attempts: 0 };
        d.routes.set(rec.route, p);
      }
      if (rec.status === 'delivered' || (rec.status === 'dead' && !rec.replay)) p.settled = true;
      const used = rec.held === true ? rec.attempt - 1 : rec.attempt; // a held try used no attempt
      if (!rec.replay && used > p.attempts) p.attempts = used;
      continue;
    }
    if (rec.status !== 'accepted') continue;
    if (rec.webhookId !== undefined) acceptedIds.push(rec.webhookId);
    const d = deliveries.get(rec.id);
    deliveries.delete(rec.id);
    if (rec.routes !== undefined) {
      // Routed: pending while any of its routes is unsettled; each route resumes with its own count.
      const routes = d?.routes ?? new Map<string, Progress>();
      if (rec.routes.some((r) => !routes.get(r)?.settled)) pending.push({ event: rec, attempts: 0, routes });
      continue;
    }
    if (rec.forwardTo === undefined) continue;
    if (!d?.settled) pending.push({ event: rec, attempts: d?.attempts ?? 0 });
  }
  acceptedIds.reverse();
  pending.reverse();
  return { acceptedIds, pending, scanned: Math.min(scanned, maxRecords), badLines, ...(firstBadOffset === undefined ? {} : { firstBadOffset, tornTail: badLines === 1 && lastLineTorn }), truncated };
}

/** Is the line at `offset` the start of a record cut short (a torn write) rather than garbage or a bad checksum? */
function cutShort(file: string, offset: number, length: number): boolean {
  const fd = openSync(file, 'r');
  try {
    const bytes = Buffer.alloc(Math.min(length, 1 << 20));
    readSync(fd, bytes, 0, bytes.length, offset);
    return bytes[0] === 123 /* { */ && (length > bytes.length || !looksComplete(bytes));
  } finally {
    closeSync(fd);
  }
}
