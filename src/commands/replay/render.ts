// What replay shows: the dry run, stale signatures, and the summary (a line, or the --json object).
import type { ReplaySource, Resign } from '../../core/delivery/replay.js';
import type { StoredEvent } from '../../core/log/query.js';
import { OperationError } from '../../errors.js';
import { type Lifecycle } from '../shared/lifecycle.js';
import type { Output } from '../../ui/output.js';
import { duration, plural } from '../../format.js';
import { type Sent } from './send.js';
import type { ReplaySummary } from '../../core/delivery/replay.js';
import { replayedElsewhere } from '../../ui/words.js';
import { emptyReplaySummary } from '../../core/delivery/replay.js';

export function printDryRun(requests: ReplaySource, mode: string, where: string, out: Output): void {
    for (let i = 0; i < requests.length; i++) {
      const r = requests.at(i);
      if (out.json) {
        out.data({ id: r.event.record.id, type: r.event.record.type ?? null, target: r.route?.targetLabel ?? r.target, route: r.route?.label ?? null, webhookId: r.webhookId ?? null, resigned: r.resigned, dryRun: true });
      } else {
        out.line(`${r.event.record.id}  ${(r.event.record.type ?? '(unknown type)').padEnd(19)}  → ${r.route?.targetLabel ?? r.target}`);
      }
    }
    out.info(`dry run: would replay ${plural(requests.length, 'event')} ${mode} to ${where}; nothing was sent`);
}

export function warnStale(events: StoredEvent[], count: number, signatureAge: (r: StoredEvent['record'], now: number) => number | undefined, out: Output): void {
  const now = Math.floor(Date.now() / 1000);
  const stale = events.filter((ev) => (signatureAge(ev.record, now) ?? 0) > 300).length;
  if (stale > 0) {
    out.warn(
      `${stale === count ? (stale === 1 ? 'the event was' : `all ${stale} were`) : `${stale} of ${count} were`} signed more than 5 minutes ago: ` +
        'a verifying receiver will reject the timestamp; add --resign to sign again',
    );
  }
}

export function renderSummary(sent: Sent, c: { mode: string; where: string; to: string | undefined; resign: Resign | undefined }, out: Output, life: Lifecycle): void {
  const { summary, closeError, failures, progress } = sent;
  const { mode, where, to, resign } = c;
  for (const line of failures) out.info(line);
  if (progress && summary.failed > failures.length) {
    out.info(out.c.dim(`… ${summary.failed - failures.length} more failed: etsyhook events list --status failed`));
  }

  const rate = summary.count >= 100 && summary.elapsedMs > 0 ? `, ${Math.round((summary.count / summary.elapsedMs) * 1000)}/s` : '';
  const reasons = Object.entries(summary.reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n}× ${reason}`)
    .join(', ');
  const counted = `${summary.delivered} delivered${summary.duplicates > 0 ? `, ${summary.duplicates} duplicate` : ''}, ${summary.failed} failed${reasons === '' ? '' : ` (${reasons})`}`;
  const times = summary.ms === null ? '' : `; p50 ${summary.ms.p50} ms, p99 ${summary.ms.p99} ms`;
  const storeError = summary.storeError ?? closeError;
  if (summary.interrupted) {
    if (out.json) out.data({ kind: 'summary', ...summaryJson(summary) });
    out.info(`interrupted: replayed ${summary.count} of ${plural(summary.planned, 'event')} ${mode} in ${duration(summary.elapsedMs)}: ${counted}${times}`);
    if (storeError !== undefined) out.warn(`some attempts could not be recorded in the store: ${storeError.message}`);
    life.end();
    return;
  }
  const line = `replayed ${plural(summary.count, 'event')} ${mode} in ${duration(summary.elapsedMs)}${rate}: ${counted}${times}`;
  if (summary.failed === 0 && summary.duplicates === 0) out.success(line);
  else out.info(line);
  if (summary.elsewhere > 0) out.info(replayedElsewhere(summary.elsewhere));
  if (summary.duplicates > 0) {
    const hint = resign?.newId ? 'they were sent with new webhook-ids: is the receiver de-duplicating on something else?' : 'add --resign --new-id to send them as new events';
    out.warn(`${summary.duplicates === 1 ? '1 replay was' : `${summary.duplicates} replays were`} answered as a duplicate (the receiver already had the webhook-id, and did not take it again): ${hint}`);
  }
  if (storeError !== undefined) out.warn(`some attempts could not be recorded in the store: ${storeError.message}`);
  if (summary.failed > 0) {
    const refused = summary.reasons['connection refused'] ?? 0;
    const hint =
      refused === summary.failed
        ? `nothing is listening at ${where}: ${to === undefined ? 'start your app, or pass --to URL' : 'is your app running?'}`
        : 'see `etsyhook events show <id>` for the answers';
    throw new OperationError(`${summary.failed} of ${plural(summary.count, 'replay')} failed`, { hint });
  }
}

/** Progress lines without a terminal: this often. */

export function summaryJson(s: ReplaySummary): Record<string, unknown> {
  return {
    interrupted: s.interrupted,
    planned: s.planned,
    count: s.count,
    delivered: s.delivered,
    duplicates: s.duplicates,
    failed: s.failed,
    httpStatuses: s.statuses,
    reasons: s.reasons,
    ms: s.ms,
    elapsedMs: s.elapsedMs,
  };
}

/** --json gets the empty summary when there is nothing to do (as events list --json gets []), never nothing. */
export function printNothingToReplay(out: Output): void {
  if (out.json) out.data({ kind: 'summary', ...summaryJson(emptyReplaySummary()) });
}
