// The sink seam, declared where the receiver (its first user) can reach it: core/receive/sink.ts.
export type { EventSink } from '../receive/sink.js';
