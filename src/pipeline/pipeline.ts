// The pipeline that `dev` (and `serve`, `worker`) share: receiver → sink → dispatcher → observers.
// The receiver verifies and answers; the sink keeps every request (the file log, or the shared Redis queue) and
// decides duplicates; the dispatcher delivers accepted events (one forward target, or routes); observers watch
// (terminal lines, JSON lines, the inspector). Nothing in the receiver knows which sink or dispatcher it has.
import { Receiver, type ReceiverOptions, type RequestReport } from '../core/receive/receiver.js';
import type { AttemptReport, Dispatcher, DispatchNotice } from '../core/delivery/dispatcher.js';
import type { EventSink } from '../core/log/sink.js';
import type { PipelineObserver } from '../core/delivery/observer.js';
import type { ReceivedRecord } from '../core/log/records.js';
import { Forwarder } from '../core/delivery/forwarder.js';
import { RouteDispatcher } from '../core/delivery/route-dispatcher.js';
import type { Route } from '../core/delivery/routes.js';
import { FileSink } from '../core/log/file-sink.js';
import type { RecentState } from '../core/log/recovery.js';
import { OperationError } from '../errors.js';

export type { PipelineObserver } from '../core/delivery/observer.js';

/** Fan-out to every observer; one that throws does not stop the others or the pipeline. */
export class Observers implements Required<PipelineObserver> {
  private list: PipelineObserver[] = [];

  add(observer: PipelineObserver): () => void {
    this.list = [...this.list, observer];
    return () => {
      this.list = this.list.filter((o) => o !== observer);
    };
  }

  onRequest(report: RequestReport): void {
    for (const o of this.list) call(() => o.onRequest?.(report));
  }

  onAttempt(report: AttemptReport): void {
    for (const o of this.list) call(() => o.onAttempt?.(report));
  }

  onNotice(notice: DispatchNotice): void {
    for (const o of this.list) call(() => o.onNotice?.(notice));
  }
}

function call(fn: () => void): void {
  try {
    fn();
  } catch {
    // An observer's failure (a closed pipe, a browser gone) must not cost an acknowledgement.
  }
}

export type ReceiverSettings = Omit<ReceiverOptions, 'sink' | 'onAccepted' | 'onRequest'>;

export interface PipelineParts {
  receiver: ReceiverSettings;
  sink: EventSink;
  /** Made with the pipeline's observers, so its attempts and notices reach them. None: accepted events are only kept. */
  dispatcher?: (observers: Observers) => Dispatcher;
  /** Deliveries the last run left pending, resumed once the receiver listens. */
  pending?: RecentState['pending'];
  observers?: readonly PipelineObserver[];
}

export interface PipelineClosed {
  /** Deliveries not finished: they stay pending in the sink and resume at the next start. */
  pendingDeliveries: number;
  /** The sink's final sync failed: the last delivery attempts may not be durable. */
  sinkError?: Error;
}

export class Pipeline {
  private constructor(
    readonly receiver: Receiver,
    readonly sink: EventSink,
    readonly dispatcher: Dispatcher | undefined,
    readonly observers: Observers,
    /** How many pending deliveries were resumed at start. */
    readonly resumed: number,
  ) {}

  static async start(parts: PipelineParts): Promise<Pipeline> {
    const observers = new Observers();
    for (const o of parts.observers ?? []) observers.add(o);
    const dispatcher = parts.dispatcher?.(observers);
    let receiver: Receiver;
    try {
      receiver = await Receiver.start({
        ...parts.receiver,
        sink: parts.sink,
        onRequest: (report) => observers.onRequest(report),
        ...(dispatcher ? { onAccepted: (rec: ReceivedRecord, body: Buffer) => dispatcher.dispatch(rec, 0, body) } : {}),
        health: () => ({
          ...parts.receiver.health?.(),
          ...(dispatcher ? { pending_deliveries: dispatcher.pending } : {}),
        }),
      });
    } catch (err) {
      await dispatcher?.close(0);
      await parts.sink.close().catch(() => {}); // the error that stopped start-up is the one to tell
      throw err;
    }
    let resumed = 0;
    if (dispatcher) {
      for (const p of parts.pending ?? []) {
        // Events pending on routes resume on those routes; events forwarded to one URL with that URL only.
        if (dispatcher.resume !== undefined) {
          if (dispatcher.resume(p.event, p.routes)) resumed++;
        } else if (p.routes === undefined) {
          dispatcher.dispatch(p.event, p.attempts);
          resumed++;
        }
      }
    }
    return new Pipeline(receiver, parts.sink, dispatcher, observers, resumed);
  }

  get url(): string {
    return this.receiver.url;
  }

  get counts(): Receiver['counts'] {
    return this.receiver.counts;
  }

  /**
   * Stop accepting, let requests in flight finish (graceMs), give deliveries in flight a moment, then make the sink
   * durable. Never throws: what could not be finished is reported.
   */
  async close(graceMs = 5_000): Promise<PipelineClosed> {
    await this.receiver.close(graceMs);
    const pendingDeliveries = this.dispatcher?.pending ?? 0;
    await this.dispatcher?.close(Math.min(graceMs, 2_000));
    const sinkError = await this.sink.close().then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    return { pendingDeliveries, ...(sinkError ? { sinkError } : {}) };
  }
}

export interface ForwardSettings {
  target: string;
  maxAttempts: number;
  timeoutMs: number;
  insecure: boolean;
  /** The delay before each attempt (delivery/retry.ts); tests shorten it. */
  schedule?: readonly number[];
}

/** The dispatcher of `dev --forward-to`: every accepted event to one URL, its attempts recorded in the sink. */
export function forwarding(sink: EventSink, f: ForwardSettings): (observers: Observers) => Dispatcher {
  return (observers) =>
    new Forwarder({
      target: f.target,
      sink,
      maxAttempts: f.maxAttempts,
      timeoutMs: f.timeoutMs,
      insecure: f.insecure,
      ...(f.schedule !== undefined ? { schedule: f.schedule } : {}),
      onAttempt: (a) => observers.onAttempt(a),
      onHold: (probeInMs, failedProbes) => observers.onNotice({ kind: 'hold', target: f.target, probeInMs, failedProbes }),
      onResume: () => observers.onNotice({ kind: 'resume', target: f.target }),
      onRecordError: (err) => observers.onNotice({ kind: 'unrecorded', target: f.target, error: err.message }),
    });
}

export interface RouteSettings extends Omit<ForwardSettings, 'target'> {
  routes: readonly Route[];
}

/** The dispatcher of `dev --route/--routes` (and `worker`): each event to every route matching its type. */
export function routing(sink: EventSink, r: RouteSettings): (observers: Observers) => Dispatcher {
  return (observers) =>
    new RouteDispatcher({
      routes: r.routes,
      sink,
      maxAttempts: r.maxAttempts,
      timeoutMs: r.timeoutMs,
      insecure: r.insecure,
      ...(r.schedule !== undefined ? { schedule: r.schedule } : {}),
      onAttempt: (a) => observers.onAttempt(a),
      onNotice: (n) => observers.onNotice(n),
    });
}

/** What the receiver needs to know of routes: which an event goes to (kept on its record); no match is ignored. */
export function routedReceiver(receiver: ReceiverSettings, routes: readonly Route[]): ReceiverSettings {
  const byEvents = receiver.accepts;
  return {
    ...receiver,
    accepts: (type) => (byEvents?.(type) ?? true) && routes.some((r) => r.matches(type)),
    ignoredReason: byEvents ? 'not in --events, or no route matches' : 'no route matches',
    routesFor: (type) => routes.filter((r) => r.matches(type)).map((r) => r.label),
  };
}

export interface LocalPipelineSettings {
  /** The file log's directory. */
  dir: string;
  receiver: ReceiverSettings;
  forward?: ForwardSettings;
  /** Routes instead of `forward` (--forward-to is then one of them). */
  routes?: RouteSettings;
  observers?: readonly PipelineObserver[];
}

/** `dev` on the embedded file log: open it, resume what the last run left pending, listen. */
export async function startLocalPipeline(s: LocalPipelineSettings): Promise<{ pipeline: Pipeline; recent: RecentState }> {
  const { sink, recent } = await FileSink.open(s.dir).catch((err: unknown) => {
    throw new OperationError((err as Error).message, { hint: 'check ETSYHOOK_HOME and the disk', cause: err });
  });
  const pipeline = await Pipeline.start({
    receiver: s.routes ? routedReceiver(s.receiver, s.routes.routes) : s.forward ? { ...s.receiver, forwardTo: s.forward.target } : s.receiver,
    sink,
    ...(s.routes ? { dispatcher: routing(sink, s.routes) } : s.forward ? { dispatcher: forwarding(sink, s.forward) } : {}),
    pending: recent.pending,
    ...(s.observers ? { observers: s.observers } : {}),
  });
  return { pipeline, recent };
}
