// The sink seam of the pipeline: where received requests and delivery attempts are kept, declared by the receiver
// that writes to it. The file log (core/log/file-sink.ts) and the Redis queue (core/queue/sink.ts) implement it; the
// receiver never knows which.
import type { DeliveryRecord, ReceivedRecord, Verdict } from '../events/record.js';

export interface EventSink {
  /**
   * Keep a received request. An `accepted` record whose webhook-id this sink has already accepted is kept as a
   * `duplicate` instead (status and reason rewritten on the record): de-duplication lives with the data, so that
   * receivers sharing a sink share it. Resolves with the verdict kept once the record is durable; rejects with
   * StoreUnavailableError when it cannot be (the receiver answers 503).
   */
  receive(record: ReceivedRecord): Promise<Verdict>;
  /** Keep a delivery attempt: written at once, made durable soon (its loss only makes the event look pending). */
  attempt(record: DeliveryRecord): Promise<void>;
  /** Wait for writes in flight and make everything durable; rejects when that fails. */
  close(): Promise<void>;
  /** For /health: what this sink is and whether it can write. */
  health(): { store: string; ok: boolean; reason?: string };
}
