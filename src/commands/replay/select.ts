// The events to replay, oldest first: by id or prefix, or by the filters; from the file log or the Redis history.
import { badLineReporter, emptyStoreMessage } from '../shared/filters.js';
import { printNothingToReplay } from './render.js';
import type { StoredEvent } from '../../core/log/query.js';
import { openHistory, type History } from '../../core/history/index.js';
import { OperationError } from '../../errors.js';
import type { Output } from '../../ui/output.js';
import { type ReplayParsed } from './options.js';
import * as query from '../../core/log/query.js';

export async function selectEvents(ids: string[], p: ReplayParsed, out: Output): Promise<{ events: StoredEvent[]; history: History } | undefined> {
  const history = await openHistory({ queue: p.queue });
  try {
    const events = await selectFrom(history, ids, p.filters, out);
    if (events !== undefined) return { events, history };
  } catch (err) {
    await history.close();
    throw err;
  }
  await history.close();
  return undefined;
}

async function selectFrom(history: History, ids: string[], filters: ReplayParsed['filters'], out: Output): Promise<StoredEvent[] | undefined> {
  if (await history.isEmpty()) {
    out.info(emptyStoreMessage(history));
    if (ids.length > 0) throw new OperationError(`no stored event matches '${ids[0]}'`);
    printNothingToReplay(out);
    return;
  }
  const bad = badLineReporter(out, history.name);
  let events: StoredEvent[];
  if (ids.length > 0) {
    const matches = await history.find([...new Set(ids)], { onBadLine: bad.onBadLine });
    bad.report();
    const problems: string[] = [];
    const resolved = matches.flatMap((m) => {
      try {
        return [query.resolveRef(m)];
      } catch (err) {
        problems.push((err as Error).message);
        return [];
      }
    });
    if (problems.length > 0) {
      throw new OperationError(problems.join('; '), { hint: 'nothing was sent; see the ids with `etsyhook events list`' });
    }
    for (const m of matches) {
      if (m.others !== undefined && m.event !== undefined) {
        out.info(`webhook-id ${m.event.record.webhookId} was received ${m.others.length + 1} times: replaying ${m.event.record.id} (${m.event.record.status}), not ${m.others.join(', ')}`);
      }
    }
    const seen = new Set<string>();
    events = resolved.filter((e) => !seen.has(e.record.id) && seen.add(e.record.id)).map((ev) => withTarget(history, ev));
  } else {
    // Replaying rejected or duplicate requests is opt-in: only when --status names that verdict.
    const verdictsNamed = filters.statuses.filter((s) => s === 'rejected' || s === 'duplicate' || s === 'ignored');
    const filter = { types: filters.types, statuses: filters.statuses, verdicts: ['accepted' as const, ...verdictsNamed], ...(filters.since === undefined ? {} : { since: filters.since }) };
    events = [];
    // Only what sending needs: the request (and where it went), how many attempts it has had, and its attempts per
    // route (what replay --failed re-runs).
    for await (const ev of history.events(filter, { onBadLine: bad.onBadLine })) {
      events.push({ ...withTarget(history, ev), deliveries: ev.deliveries.filter((d) => d.route !== undefined) });
    }
    bad.report();
    events.reverse(); // oldest first
  }
  if (events.length === 0) {
    out.info('nothing to replay: no stored events match');
    printNothingToReplay(out);
    return;
  }
  return events;
}

/** The event with its default target filled in where the history knows it (a worker's --forward-to). */
function withTarget(history: History, ev: StoredEvent): StoredEvent {
  if (ev.record.forwardTo !== undefined) return ev;
  const target = history.replayTarget(ev);
  return target === undefined ? ev : { ...ev, record: { ...ev.record, forwardTo: target } };
}
