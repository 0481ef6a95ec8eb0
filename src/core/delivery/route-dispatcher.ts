// The dispatcher for routes: every accepted event goes to each route whose globs match its type, each route a
// delivery of its own (a Forwarder: its own queue, attempts, backoff, dead letter and circuit breaker), so one
// failing handler never holds back another. Events no route matches are stored and acknowledged, not dispatched.
import type { EventSink } from '../log/sink.js';
import type { ReceivedRecord } from '../log/records.js';
import type { AttemptReport, Dispatcher, DispatchNotice } from './dispatcher.js';
import { Forwarder } from './forwarder.js';
import { Deliverer } from './http.js';
import { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_MAX_ATTEMPTS } from '../defaults.js';
import type { Route } from './routes.js';
import { killCommands, routeSender } from './targets.js';

export interface RouteDispatcherOptions {
  routes: readonly Route[];
  /** Where delivery attempts are recorded. */
  sink: Pick<EventSink, 'attempt'>;
  /** Attempts before an event is dead on a route, unless the route sets max_attempts; default 5. */
  maxAttempts?: number;
  /** Per-attempt timeout, unless the route sets timeout; default 30 s. */
  timeoutMs?: number;
  insecure?: boolean;
  /** The delay before each attempt (delivery/retry.ts); tests shorten it. */
  schedule?: readonly number[];
  onAttempt?: (report: AttemptReport) => void;
  onNotice?: (notice: DispatchNotice) => void;
}

/** Where one route stands for one event, from its recorded attempts (to resume after a restart). */
export interface RouteProgress {
  attempts: number;
  /** Delivered or dead: nothing more to do on this route. */
  settled: boolean;
}

/** Deliveries in flight at once per route: commands and chat services get fewer than the app under development. */
const CONCURRENCY: Record<Route['target']['kind'], number> = { http: 16, exec: 4, slack: 2, pushover: 2 };

export class RouteDispatcher implements Dispatcher {
  private readonly lanes: { route: Route; forwarder: Forwarder }[];
  private readonly deliverer: Deliverer;
  /** Process ids of exec: commands running now. */
  private readonly commands = new Set<number>();

  constructor(options: RouteDispatcherOptions) {
    this.deliverer = new Deliverer({ connections: 16, insecure: options.insecure ?? false });
    this.lanes = options.routes.map((route) => {
      const timeoutMs = route.timeoutMs ?? options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
      const send = routeSender(route, this.deliverer, timeoutMs, this.commands);
      const forwarder = new Forwarder({
        target: route.targetLabel,
        route: route.label,
        ...(send === undefined ? {} : { send }),
        sink: options.sink,
        deliverer: this.deliverer,
        concurrency: CONCURRENCY[route.target.kind],
        maxAttempts: route.maxAttempts ?? options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        timeoutMs,
        insecure: options.insecure ?? false,
        ...(options.schedule === undefined ? {} : { schedule: options.schedule }),
        ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
        onHold: (probeInMs, failedProbes) => options.onNotice?.({ kind: 'hold', target: route.targetLabel, probeInMs, failedProbes }),
        onResume: () => options.onNotice?.({ kind: 'resume', target: route.targetLabel }),
        onRecordError: (err) => options.onNotice?.({ kind: 'unrecorded', target: route.targetLabel, error: err.message }),
      });
      return { route, forwarder };
    });
  }

  get routes(): Route[] {
    return this.lanes.map((l) => l.route);
  }

  /** Queue an event on every route that matches its type; `attemptsSoFar` applies to each. */
  dispatch(event: ReceivedRecord, attemptsSoFar = 0, body?: Buffer): void {
    for (const lane of this.lanes) if (lane.route.matches(event.type)) lane.forwarder.dispatch(event, attemptsSoFar, body);
  }

  /** Resume an event after a restart: only on the routes it has not settled, each counting its own attempts. */
  resume(event: ReceivedRecord, progress: ReadonlyMap<string, RouteProgress> | undefined): boolean {
    // An event forwarded without routes (an earlier `dev --forward-to`) is not sent to routes it never had.
    if (progress === undefined || event.routes === undefined) return false;
    let queued = 0;
    for (const lane of this.lanes) {
      if (!lane.route.matches(event.type)) continue;
      const p = progress.get(lane.route.label);
      if (p?.settled || !event.routes.includes(lane.route.label)) continue;
      lane.forwarder.dispatch(event, p?.attempts ?? 0);
      queued++;
    }
    return queued > 0;
  }

  /** Does any route take events of this type? */
  wants(type: string | undefined): boolean {
    return this.lanes.some((l) => l.route.matches(type));
  }

  get pending(): number {
    let n = 0;
    for (const l of this.lanes) n += l.forwarder.pending;
    return n;
  }

  /** Resolves when no route has anything queued, in flight or waiting for a retry. */
  async idle(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.forwarder.idle()));
  }

  async close(graceMs = 2_000): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.forwarder.close(graceMs)));
    // Commands that outlived the grace period are stopped, not left behind: their events stay pending.
    killCommands(this.commands);
    await this.deliverer.close();
  }
}
