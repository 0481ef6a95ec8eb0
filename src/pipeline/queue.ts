// `dev --queue`: the pipeline with the Redis sink instead of the file log. Requests are kept in Redis (shared with
// every serve and worker); with --forward-to or routes dev delivers them itself (not queued for workers), without
// them they are queued for `etsyhook worker`.
import {
  forwarding,
  Pipeline,
  routedReceiver,
  routing,
  type ForwardSettings,
  type PipelineObserver,
  type ReceiverSettings,
  type RouteSettings,
} from './pipeline.js';
import { connect, type QueueTarget, type Retention } from '../core/queue/connection.js';
import { RedisSink } from '../core/queue/sink.js';

export interface QueuePipelineSettings {
  target: QueueTarget;
  retention: Retention;
  legacyQueue?: string;
  receiver: ReceiverSettings;
  forward?: ForwardSettings;
  routes?: RouteSettings;
  observers?: readonly PipelineObserver[];
  onDown?: (reason: string) => void;
  onUp?: () => void;
}

export async function startQueuePipeline(s: QueuePipelineSettings): Promise<Pipeline> {
  const client = await connect(s.target, {
    ...(s.onDown ? { onDown: s.onDown } : {}),
    ...(s.onUp ? { onUp: s.onUp } : {}),
    ...(s.legacyQueue === undefined ? {} : { legacyQueue: s.legacyQueue }),
  });
  const sink = new RedisSink(client, s.target, {
    retention: s.retention,
    enqueue: s.forward === undefined && s.routes === undefined,
    ...(s.legacyQueue === undefined ? {} : { legacyQueue: s.legacyQueue }),
  });
  return Pipeline.start({
    receiver: s.routes ? routedReceiver(s.receiver, s.routes.routes) : s.forward ? { ...s.receiver, forwardTo: s.forward.target } : s.receiver,
    sink,
    ...(s.routes ? { dispatcher: routing(sink, s.routes) } : s.forward ? { dispatcher: forwarding(sink, s.forward) } : {}),
    ...(s.observers ? { observers: s.observers } : {}),
  });
}
