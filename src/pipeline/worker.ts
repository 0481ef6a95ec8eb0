// `worker`'s runtime: two Redis connections, the delivery (one URL, or routes), the queue worker and the history
// trim, from narrow settings. It neither prints nor exits: what happens is reported through `on`.
import { connect, consumerName, type QueueTarget, type Retention } from '../core/queue/connection.js';
import { QueueWorker, ForwardDelivery, type WorkerOptions } from '../core/queue/worker.js';
import { RouteDelivery } from '../core/queue/route-delivery.js';
import { trimHistory } from '../core/queue/sink.js';
import { Deliverer } from '../core/delivery/http.js';
import type { Route } from '../core/delivery/routes.js';

export interface WorkerSettings {
  target: QueueTarget;
  retention: Retention;
  /** Every event to this URL, one job per event; or `routes`, one job per event and route. */
  forwardTo?: string;
  routes?: Route[];
  concurrency: number;
  maxAttempts: number;
  schedule: number[];
  claimAfterMs: number;
  timeoutMs: number;
  insecure: boolean;
  on: Pick<WorkerOptions, 'onDown' | 'onUp' | 'onAttempt'>;
}

export interface RunningWorker {
  /** This worker's consumer name in the group. */
  consumer: string;
  /** Whether the queue turned out to be a Redis Cluster. */
  cluster: boolean;
  /** Resolves (or rejects) when the worker stops by itself. */
  running: Promise<void>;
  /** Stop taking work, give deliveries in flight up to `graceMs`, close the connections. */
  stop(graceMs: number): Promise<void>;
}

export async function startWorker(s: WorkerSettings): Promise<RunningWorker> {
  const client = await connect(s.target);
  const reader = await connect(s.target);
  const consumer = consumerName();
  const sender = new Deliverer({ connections: s.concurrency, insecure: s.insecure });
  const delivery = s.routes ? new RouteDelivery(s.routes, sender, s.timeoutMs) : new ForwardDelivery(s.forwardTo!, sender, s.timeoutMs);
  const worker = new QueueWorker({
    client,
    reader,
    consumer,
    delivery,
    concurrency: s.concurrency,
    schedule: s.schedule,
    maxAttempts: s.maxAttempts,
    claimAfterMs: s.claimAfterMs,
    historyMaxLen: s.retention.count,
    ...s.on,
  });
  const trim = setInterval(() => void trimHistory(client, s.retention).catch(() => {}), Math.max(200, Math.min(60_000, s.retention.ms / 2)));
  const running = worker.run();
  return {
    consumer,
    cluster: client.cluster === true,
    running,
    stop: async (graceMs) => {
      worker.stop();
      const grace = new Promise<void>((r) => setTimeout(r, graceMs).unref());
      try {
        await Promise.race([running, grace]);
      } finally {
        clearInterval(trim);
        await delivery.close();
        await Promise.all([client.close().catch(() => client.destroy()), reader.close().catch(() => reader.destroy())]);
      }
    },
  };
}
