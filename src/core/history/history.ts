// The one history source: where stored events are read back from (listed, looked up, followed live) and where a
// replay's attempts are kept. Two backends, the file log under ETSYHOOK_HOME and the shared Redis history, behind one
// interface: commands and the inspector ask it and never ask which one it is.
import { OperationError, UsageError } from '../../errors.js';
import { typeMatcher } from '../events/globs.js';
import type { TailFilter } from '../log/follower.js';
import type { EventFilter, RefMatch, StoredEvent } from '../log/query.js';
import { bodyBytes, type DeliveryRecord, type EventStatus, type StoreRecord } from '../log/records.js';
import type { ClearOptions, ClearResult } from '../log/clear.js';

/** What the inspector's page can ask for: `events list`'s filters, plus a search over ids, webhook-ids and body text. */
export interface HistoryQuery extends EventFilter {
  /** Case-insensitive text found in the event id, its webhook-id or its body. */
  search?: string;
}

export interface EventPage {
  events: StoredEvent[];
  /** Opaque: pass back for the next (older) page; undefined on the last page. */
  next: string | undefined;
}

export interface ReadOptions {
  /** Told once per unreadable record (a write torn by a crash, corruption): the file log's only. */
  onBadLine?: (offset: number, length: number) => void;
}

export interface FollowOptions extends ReadOptions {
  /** Start this far back (ms since epoch) rather than now: records from a little before it on come too. */
  since?: number;
  /** A tail's filter: taught the types of recent events before following, so later attempts' lines can show theirs. */
  filter?: TailFilter;
  /** `tail --last N`: first the last N records `filter` accepts, read backwards from the end (no full scan). */
  last?: number;
  /** Told once when following fails (Redis lost); following keeps retrying. Default: the one given at open. */
  onError?: (err: Error) => void;
}

export interface Following {
  stop(): void;
  /** Resolves once stopped. */
  done: Promise<void>;
}

/** What a follow hands each batch of new records to. */
export type Listener = (records: StoreRecord[]) => void | Promise<void>;

/**
 * One listener's handle on a reader shared by every follow of a history (the inspector's pages, tail): stopping it
 * removes the listener, and the last one to stop stops the reader.
 */
export function sharedFollowing(listeners: Set<Listener>, onRecords: Listener, stopReader: () => void): Following {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    done,
    stop: () => {
      listeners.delete(onRecords);
      if (listeners.size === 0) stopReader();
      resolve();
    },
  };
}

export interface History {
  /** Where the events are, for a header or a banner: the store directory, or the queue's `redis://host:port`. */
  readonly where: string;
  /** The same as a phrase for messages: the log file's path, or "the Redis history at host:port". */
  readonly name: string;
  /** Nothing stored yet. */
  isEmpty(): Promise<boolean>;
  /** Events newest first, each with its delivery attempts, filtered; read as far as the caller iterates. */
  events(filter?: EventFilter, options?: ReadOptions): AsyncIterable<StoredEvent>;
  /** Matches for event ids or unique prefixes, or webhook-ids (or prefixes of them), one per ref. */
  find(refs: readonly string[], options?: ReadOptions): Promise<RefMatch[]>;
  /** A page of events, newest first; a cursor pages within the history as it was when the first page was read. */
  list(query: HistoryQuery, limit: number, cursor?: string): Promise<EventPage>;
  /** One event by event id, a unique prefix of one, or a webhook-id (or a unique prefix of one); LookupError if not. */
  get(ref: string): Promise<StoredEvent>;
  /**
   * Every record written from now (or `since`) on, in batches, oldest first. A promise returned by onRecords holds
   * the next batch back until it settles (a consumer whose output is backed up).
   */
  follow(onRecords: (records: StoreRecord[]) => void | Promise<void>, options?: FollowOptions): Following;
  /** Where a replay goes by default when the event names no forward target: where it was last delivered. */
  replayTarget(ev: StoredEvent): string | undefined;
  /** Keep a delivery attempt made from outside a receiver (a replay); made durable by close(). */
  recordAttempt(record: DeliveryRecord): Promise<void>;
  /** Delete events (all, or older than a time) and their attempts: only where a backend can (the file log). */
  readonly clear?: (options?: ClearOptions) => Promise<ClearResult>;
  close(): Promise<void>;
}

/** Keeps delivery attempts: a running pipeline's sink, or a store opened for the purpose (as replay does). */
export interface AttemptWriter {
  attempt(record: DeliveryRecord): Promise<void>;
}

/** The one lookup that failed, and why (no match, or several). */
export class LookupError extends OperationError {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'ambiguous',
  ) {
    super(message);
  }
}

/** A page cursor this history did not hand out. */
export class BadCursorError extends UsageError {}

/** A predicate for the search box: ids and webhook-ids, and the body text (non-UTF-8 bodies are searched as latin1). */
export function searchMatcher(search: string | undefined): ((ev: StoredEvent) => boolean) | undefined {
  const needle = search?.trim().toLowerCase() ?? '';
  if (needle === '') return undefined;
  return (ev) => {
    const r = ev.record;
    if (r.id.toLowerCase().includes(needle)) return true;
    if (r.webhookId?.toLowerCase().includes(needle)) return true;
    const text = r.body ?? (r.body64 === undefined ? '' : bodyBytes(r).toString('latin1'));
    return text.toLowerCase().includes(needle);
  };
}

/** Does a received record (just written, so its status is its verdict) pass the query? For a live stream. */
export function liveMatcher(query: HistoryQuery): (ev: StoredEvent) => boolean {
  const typeOk = typeMatcher(query.types ?? []);
  const statuses = new Set<EventStatus>(query.statuses ?? []);
  const search = searchMatcher(query.search);
  return (ev) =>
    typeOk(ev.record.type) &&
    (statuses.size === 0 || statuses.has(ev.status)) &&
    (query.since === undefined || Date.parse(ev.record.at) >= query.since) &&
    (search === undefined || search(ev));
}

/** The empty ref, said the same way by every backend. */
export function checkRef(ref: string): string {
  const r = ref.trim();
  if (r === '') throw new LookupError('name an event: an event id, a unique prefix of one, or a webhook-id', 'not-found');
  return r;
}
