// What watches a running pipeline (terminal lines, JSON lines, metrics): told of every answered request, every
// delivery attempt and every change in a target's state. Observers never delay the receiver.
import type { AttemptReport, DispatchNotice } from './dispatcher.js';
import type { RequestReport } from '../receive/receiver.js';

export interface PipelineObserver {
  /** A request was answered (health checks excepted). */
  onRequest?(report: RequestReport): void;
  /** A delivery attempt was made and recorded. */
  onAttempt?(report: AttemptReport): void;
  /** A target stopped answering, or answers again. */
  onNotice?(notice: DispatchNotice): void;
}
