// The dispatcher seam of the pipeline: what happens to an accepted event after it is stored. Today one forwarder
// (forwarder.ts); routes send each event type to its own handlers; a Redis worker dispatches from the shared queue.
// Nothing here may delay the receiver's acknowledgement: dispatch() only queues.
import type { DeliveryRecord, ReceivedRecord } from '../log/records.js';

/** What one delivery attempt did, for observers (terminal lines, JSON lines, the inspector). */
export interface AttemptReport {
  record: DeliveryRecord;
  event: ReceivedRecord;
  /** Milliseconds until the next attempt, when one is scheduled: the delay actually used. */
  retryInMs?: number;
  /** The target did not answer at all: the event waits with the held ones until it answers (no retry timer). */
  held?: boolean;
}

/** A target stopped answering (deliveries held), answers again, or an attempt could not be recorded. */
export interface DispatchNotice {
  kind: 'hold' | 'resume' | 'unrecorded';
  target: string;
  /** For hold: when the next probe goes (the delay actually used). */
  probeInMs?: number;
  /** For hold: probes the target did not answer so far (0 when deliveries are first held); none used an attempt. */
  failedProbes?: number;
  /** For unrecorded: why. */
  error?: string;
}

export interface Dispatcher {
  /** Queue an accepted, stored event; `attemptsSoFar` continues the count of an event resumed after a restart. */
  dispatch(event: ReceivedRecord, attemptsSoFar?: number, body?: Buffer): void;
  /**
   * Resume an event the last run left pending, given where each of its routes stood; true if anything was queued.
   * Dispatchers by routes have it; without it, events pending on routes are not resumed.
   */
  resume?(event: ReceivedRecord, routes: ReadonlyMap<string, { attempts: number; settled: boolean }> | undefined): boolean;
  /** Events queued, in flight, or waiting for a retry. */
  readonly pending: number;
  /** Stop taking events; wait up to graceMs for deliveries in flight (what is left stays pending in the log). */
  close(graceMs?: number): Promise<void>;
}
