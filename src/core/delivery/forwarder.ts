// delivery/ owns what goes out: one HTTP sender and its description of network errors (http.ts), test events
// (sender.ts), forwarding with retries, backoff and a circuit breaker (this file), and replay (replay.ts).
//
// Delivery of accepted events to the app under development: bounded concurrency, retries on the schedule of
// retry.ts, dead letters after the last attempt, and every attempt recorded in the store. Nothing here can delay the
// receiver's acknowledgements: dispatch() only queues.
import type { DeliveryOutcome, ReceivedRecord } from '../log/records.js';
import { bodyBytes } from '../log/records.js';
import type { EventSink } from '../log/sink.js';
import type { AttemptReport, Dispatcher } from './dispatcher.js';

export type { AttemptReport } from './dispatcher.js';
import { attemptRecord, delivered, type AttemptResult, type SendAttempt } from './attempt.js';
import { DEFAULT_DELIVERY_TIMEOUT_MS, Deliverer } from './http.js';
import { DEFAULT_RETRY_SCHEDULE_MS, delayBefore } from './retry.js';

/** What one attempt did: an HTTP result, or a route target's own verdict (an exit code, Pushover's answer). */
export type { AttemptResult, SendAttempt };

export interface ForwarderOptions {
  /** Where attempts go, as records name it (secrets masked when `send` is given). */
  target: string;
  /** Send each attempt with this instead of forwarding byte-exact to `target` over HTTP. */
  send?: SendAttempt;
  /** The route these deliveries belong to, kept on every attempt record. */
  route?: string;
  /** Where delivery attempts are recorded. */
  sink: Pick<EventSink, 'attempt'>;
  deliverer?: Deliverer;
  /** Deliveries in flight at once; default 16. */
  concurrency?: number;
  /** Attempts before an event is dead; default: the schedule's length. */
  maxAttempts?: number;
  timeoutMs?: number;
  insecure?: boolean;
  /** The delay before each attempt (retry.ts); default DEFAULT_RETRY_SCHEDULE_MS. The breaker's probes keep their own pace. */
  schedule?: readonly number[];
  /** Called after each attempt is recorded (or failed to be). */
  onAttempt?: (attempt: AttemptReport) => void;
  /**
   * Called when the app stops answering and deliveries are held (circuit breaker opens), and again after each probe
   * it does not answer either (`failedProbes` ≥ 1), with the delay until the next probe actually goes.
   */
  onHold?: (probeInMs: number, failedProbes: number) => void;
  /** Called when the app answers again after deliveries were held. */
  onResume?: () => void;
  /** Called when an attempt could not be recorded (the delivery itself happened). */
  onRecordError?: (err: Error) => void;
  random?: () => number;
}

import { DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS } from '../defaults.js';

export { DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS };
/** The longest pause between two probes of an app that does not answer. */
export const MAX_PROBE_INTERVAL_MS = 30_000;
/** The pause before the first probe, doubling after each probe the app does not answer (whatever the retry schedule). */
export const FIRST_PROBE_MS = 2_000;
/** Probes of one event that time out in a row, while others are held, before that event uses an attempt. */
export const PROBE_TIMEOUTS_COUNTED = 3;

interface Job {
  /** Arrival order: held events are probed and released oldest first. */
  seq: number;
  event: ReceivedRecord;
  /** The exact body bytes when the receiver still has them (saves decoding the record). */
  body?: Buffer;
  /** Attempts already made (recorded) for this event. */
  attempts: number;
  /** Sent as the breaker's probe: if the app does not answer it either, the attempt is not counted. */
  probe?: boolean;
  /** Probes of this event in a row that timed out. */
  timeouts?: number;
}

/** The pause before probe `n` (1-based) of an app that does not answer: the base doubling, capped, ±10% jitter. */
export function probeDelay(n: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(MAX_PROBE_INTERVAL_MS, baseMs * 2 ** Math.max(0, n - 1));
  return Math.round(exp * (0.9 + random() * 0.2));
}

export class Forwarder implements Dispatcher {
  readonly target: string;
  private readonly deliverer: Deliverer;
  private readonly ownsDeliverer: boolean;
  private readonly concurrency: number;
  readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly insecure: boolean;
  private readonly schedule: readonly number[];
  private readonly random: () => number;
  private readonly queue: Job[] = [];
  private queueHead = 0;
  /** Events the app did not answer, oldest first: they go before anything queued, one probe at a time while held. */
  private readonly held: Job[] = [];
  private seq = 0;
  private active = 0;
  private readonly waiting = new Set<NodeJS.Timeout>();
  private stopping = false;
  /** Set once shutdown stops waiting: results that arrive later are not recorded, so the event stays pending. */
  private abandoned = false;
  private idleWaiters: (() => void)[] = [];
  private readonly recording = new Set<Promise<unknown>>();
  private activeDone: (() => void) | undefined;
  /**
   * Circuit breaker: after a delivery fails without an HTTP answer (refused, reset, timed out), nothing more is sent
   * until `openUntil`; then a single probe goes, and only its success lets the queue flow again. Without it, a dead
   * app makes every queued event cost a connection attempt, an error and a record at once, which slows the receiver.
   * An attempt the app does not answer (refused, reset, timed out) uses none of the event's attempts, the one that
   * opens the breaker included, and neither do probes: a dead app never turns held events dead. The one exception is
   * an event whose probes keep timing out while others wait behind it: after PROBE_TIMEOUTS_COUNTED it uses an
   * attempt and the next event is probed, so one request that hangs the app cannot hold the rest back for ever.
   */
  private breakerFailures = 0;
  private openUntil = 0;
  private probing = false;
  private breakerTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ForwarderOptions) {
    this.target = options.target;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.schedule = options.schedule !== undefined && options.schedule.length > 0 ? options.schedule : DEFAULT_RETRY_SCHEDULE_MS;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? this.schedule.length);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    this.insecure = options.insecure ?? false;
    this.random = options.random ?? Math.random;
    this.ownsDeliverer = options.deliverer === undefined;
    this.deliverer = options.deliverer ?? new Deliverer({ connections: this.concurrency, insecure: this.insecure });
  }

  /** Events queued, in flight, or waiting for a retry. */
  get pending(): number {
    return this.queue.length - this.queueHead + this.held.length + this.active + this.waiting.size;
  }

  /** Queue an accepted event for delivery; `attemptsSoFar` continues the count of a resumed event. */
  dispatch(event: ReceivedRecord, attemptsSoFar = 0, body?: Buffer): void {
    if (this.stopping) return;
    if (attemptsSoFar >= this.maxAttempts) attemptsSoFar = this.maxAttempts - 1; // a resumed event gets one more try
    const seq = this.seq++;
    this.queue.push(body === undefined ? { seq, event, attempts: attemptsSoFar } : { seq, event, attempts: attemptsSoFar, body });
    this.pump();
  }

  private pump(): void {
    while (this.active < this.concurrency && (this.held.length > 0 || this.queueHead < this.queue.length) && !this.stopping) {
      if (this.breakerFailures > 0) {
        const wait = this.openUntil - Date.now();
        if (wait > 0) {
          this.breakerTimer ??= setTimeout(() => {
            this.breakerTimer = undefined;
            this.pump();
          }, wait);
          return;
        }
        if (this.probing) return;
        this.probing = true;
      }
      const job = this.next();
      if (this.breakerFailures > 0) job.probe = true;
      else delete job.probe;
      this.active++;
      void this.attempt(job).finally(() => {
        this.active--;
        if (this.active === 0) this.activeDone?.();
        this.pump();
        this.checkIdle();
      });
    }
  }

  /** The oldest held event, else the head of the queue. */
  private next(): Job {
    const held = this.held.shift();
    if (held !== undefined) return held;
    const job = this.queue[this.queueHead]!;
    this.queue[this.queueHead] = undefined as unknown as Job;
    this.queueHead++;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return job;
  }

  /** Back with the held events, in arrival order. */
  private hold(job: Job): void {
    delete job.probe;
    let i = this.held.length;
    while (i > 0 && this.held[i - 1]!.seq > job.seq) i--;
    this.held.splice(i, 0, job);
  }

  private async attempt(job: Job): Promise<void> {
    const attempt = job.attempts + 1;
    const { event } = job;
    const forwardedFor = event.headers['x-forwarded-for'];
    const extraHeaders = event.remote === undefined ? undefined : { 'x-forwarded-for': forwardedFor ? `${forwardedFor}, ${event.remote}` : event.remote };
    const body = job.body ?? bodyBytes(event);
    const result: AttemptResult = this.options.send
      ? await this.options.send(event, body, attempt)
      : await this.deliverer.send(this.target, event.headers, body, {
          timeoutMs: this.timeoutMs,
          insecure: this.insecure,
          attempt,
          ...(extraHeaders !== undefined ? { extraHeaders } : {}),
        });
    if (this.abandoned) return;
    const answered = result.answered ?? result.status !== undefined;
    const timedOut = !answered && result.error?.startsWith('timed out') === true;
    job.timeouts = job.probe === true && timedOut ? (job.timeouts ?? 0) + 1 : 0;
    // No answer: not an attempt of this event, unless its probes keep timing out while others wait behind it.
    const held = !answered && (job.timeouts < PROBE_TIMEOUTS_COUNTED || (this.held.length === 0 && this.queueHead >= this.queue.length));
    if (held && job.probe === true) {
      // A probe the target did not answer either: said by the hold notice, not recorded. Back with the held ones.
      if (!this.stopping) this.hold(job);
      this.updateBreaker(result, true);
      return;
    }
    if (!held) delete job.timeouts;
    const ok = delivered(result);
    const outcome: DeliveryOutcome = ok ? 'delivered' : attempt >= this.maxAttempts && !held ? 'dead' : 'failed';
    const record = attemptRecord({ id: event.id, target: this.target, route: this.options.route, attempt, status: outcome }, result);
    if (held) record.held = true;
    // Recorded in the background: the slot is free for the next delivery while the group commit runs. Lazily synced:
    // an attempt lost in an OS crash leaves the event pending, and it is delivered again (at least once).
    const recorded = this.options.sink.attempt(record).catch((err: unknown) => this.options.onRecordError?.(err as Error));
    this.recording.add(recorded);
    void recorded.finally(() => this.recording.delete(recorded));
    let retryInMs: number | undefined;
    if (held) {
      // No answer at all: the breaker opens (below) and this event waits with the held ones until the app answers.
      if (!this.stopping) this.hold({ ...job, body });
    } else if (outcome === 'failed' && !this.stopping) {
      retryInMs = delayBefore(this.schedule, attempt + 1, this.maxAttempts, this.random) ?? 0;
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        if (this.stopping) return;
        this.queue.push({ seq: job.seq, event, attempts: attempt, body });
        this.pump();
      }, retryInMs);
      this.waiting.add(timer);
    }
    this.options.onAttempt?.({ record, event, ...(retryInMs !== undefined ? { retryInMs } : {}), ...(held ? { held } : {}) });
    if (!answered && !held) {
      // The probe that used an attempt: the app may only be stuck on this event, so the next held one goes now.
      this.probing = false;
      this.openUntil = Date.now();
      return;
    }
    this.updateBreaker(result, job.probe === true);
  }

  private updateBreaker(result: AttemptResult, probe: boolean): void {
    if (probe) this.probing = false;
    if (result.answered ?? result.status !== undefined) {
      // The app answered (even with an error status): it is there.
      if (this.breakerFailures > 0) this.options.onResume?.();
      this.breakerFailures = 0;
      return;
    }
    const now = Date.now();
    // Failures of attempts that were already in flight when the breaker opened do not lengthen the pause.
    if (now < this.openUntil) return;
    this.breakerFailures++;
    const pause = probeDelay(this.breakerFailures, FIRST_PROBE_MS, this.random);
    this.openUntil = now + pause;
    if (!this.stopping) this.options.onHold?.(pause, this.breakerFailures - 1);
  }

  private checkIdle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when nothing is queued, in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Stop: no new attempts; retries not yet due stay pending in the store (resumed at the next start). Attempts in
   * flight get `graceMs` to finish and be recorded; after that they are cut off and left pending.
   */
  async close(graceMs = 2_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.waiting) clearTimeout(t);
    this.waiting.clear();
    clearTimeout(this.breakerTimer);
    this.queue.length = 0;
    this.queueHead = 0;
    this.held.length = 0;
    if (this.active > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => (this.activeDone = r)),
        new Promise<void>((r) => (timer = setTimeout(r, graceMs))),
      ]);
      clearTimeout(timer);
    }
    this.abandoned = true;
    await Promise.all(this.recording);
    if (this.ownsDeliverer) await this.deliverer.close();
    this.checkIdle();
  }
}
