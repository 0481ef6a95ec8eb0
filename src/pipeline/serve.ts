// `serve`'s runtime: the receiver on the Redis sink (a 2xx only once Redis has the event), with /ready and /metrics
// beside it, from narrow settings. It neither prints nor exits: Redis going and coming back is reported through `on`.
import { connect, type QueueTarget, type Retention } from '../core/queue/connection.js';
import { RedisSink } from '../core/queue/sink.js';
import { serveMetrics } from '../core/queue/metrics.js';
import { Pipeline, type PipelineObserver, type ReceiverSettings } from './pipeline.js';

export interface ServeSettings {
  target: QueueTarget;
  retention: Retention;
  legacyQueue?: string;
  receiver: Omit<ReceiverSettings, 'health' | 'routes'>;
  observers: readonly PipelineObserver[];
  on: { down: (reason: string) => void; up: () => void };
}

/** The running pipeline, and whether the queue turned out to be a Redis Cluster. */
export async function startServe(s: ServeSettings): Promise<{ pipeline: Pipeline; cluster: boolean }> {
  const client = await connect(s.target, { onDown: s.on.down, onUp: s.on.up, ...(s.legacyQueue === undefined ? {} : { legacyQueue: s.legacyQueue }) });
  const sink = new RedisSink(client, s.target, { retention: s.retention, ...(s.legacyQueue === undefined ? {} : { legacyQueue: s.legacyQueue }) });
  const metrics = serveMetrics(client);
  const pipeline = await Pipeline.start({
    receiver: {
      ...s.receiver,
      health: () => ({ redis: sink.health().ok ? 'up' : 'down' }),
      routes: metrics.routes(() => sink.ready()),
    },
    sink,
    observers: [...s.observers, { onRequest: (r) => metrics.observe(r.outcome, r.ms) }],
  });
  return { pipeline, cluster: client.cluster === true };
}
