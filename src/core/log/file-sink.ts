// The embedded sink: the file log (store.ts) plus the webhook-ids it has accepted, so a retried delivery is kept as a
// duplicate and dispatched once. What `dev` uses without --queue.
import type { DeliveryRecord, ReceivedRecord, Verdict } from './records.js';
import { countUnrecordedAttempts, scanRecent, type RecentState } from './recovery.js';
import type { EventSink } from './sink.js';
import { EventStore, logPath } from './store.js';
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Left in the store's directory by a receiver that stopped cleanly (its attempts all recorded); gone after a crash. */
const STOPPED_CLEANLY = 'stopped-cleanly';

/** The webhook-ids already accepted, in arrival order; the oldest are forgotten beyond `capacity`. */
export class DuplicateIndex {
  private readonly ids = new Set<string>();
  constructor(
    initial: Iterable<string> = [],
    private readonly capacity = 1_000_000,
  ) {
    for (const id of initial) this.add(id);
  }
  has(id: string): boolean {
    return this.ids.has(id);
  }
  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
  }
  delete(id: string): void {
    this.ids.delete(id);
  }
  get size(): number {
    return this.ids.size;
  }
}

export class FileSink implements EventSink {
  /** Why the last write failed, until one succeeds again (for /health). */
  private failure: string | undefined;

  constructor(
    readonly store: EventStore,
    private readonly seen: DuplicateIndex = new DuplicateIndex(),
  ) {}

  /**
   * Open the log in `dir` and read its recent state: the webhook-ids accepted (for duplicates) and the deliveries
   * left pending by the last run (to resume).
   */
  static async open(dir: string): Promise<{ sink: FileSink; recent: RecentState }> {
    const store = await EventStore.open(dir);
    const recent = scanRecent(logPath(dir));
    let clean = true;
    try {
      unlinkSync(join(dir, STOPPED_CLEANLY));
    } catch {
      clean = false;
    }
    if (!clean) countUnrecordedAttempts(recent);
    return { sink: new FileSink(store, new DuplicateIndex(recent.acceptedIds)), recent };
  }

  receive(record: ReceivedRecord): Promise<Verdict> {
    const id = record.status === 'accepted' ? record.webhookId : undefined;
    let claimed = false;
    if (id !== undefined) {
      if (this.seen.has(id)) {
        record.status = 'duplicate';
        record.reason = `webhook-id ${id} was already accepted`;
      } else {
        // Claimed now, so a retry arriving while this one is being written is a duplicate too.
        this.seen.add(id);
        claimed = true;
      }
    }
    return this.store.append(record).then(
      () => {
        this.failure = undefined;
        return record.status;
      },
      (err: unknown) => {
        if (claimed) this.seen.delete(id!);
        this.failure = (err as Error).message;
        throw err;
      },
    );
  }

  attempt(record: DeliveryRecord): Promise<void> {
    // Lazily synced: an attempt lost in an OS crash leaves the event pending, and it is delivered again.
    return this.store.append(record, { durable: false });
  }

  async close(): Promise<void> {
    await this.store.close();
    try {
      writeFileSync(join(this.store.dir, STOPPED_CLEANLY), '');
    } catch {
      // Without it the next start counts an attempt that may have been made: never fewer than were.
    }
  }

  health(): { store: string; ok: boolean; reason?: string } {
    return this.failure === undefined ? { store: this.store.dir, ok: true } : { store: this.store.dir, ok: false, reason: this.failure };
  }
}

