// serve's /ready and /metrics (Prometheus text from prom-client): requests by verdict, answer latency, queue depth.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RedisClient } from './connection.js';
import { queueDepth } from './sink.js';

export function serveMetrics(client: RedisClient): {
  observe: (verdict: string, ms: number) => void;
  routes: (ready: () => Promise<{ ok: boolean; reason?: string }>) => Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
} {
  const registry = new Registry();
  const requests = new Counter({ name: 'etsyhook_requests_total', help: 'Requests answered, by verdict (unstored: Redis could not keep it, answered 503)', labelNames: ['verdict'], registers: [registry] });
  const latency = new Histogram({
    name: 'etsyhook_request_duration_seconds',
    help: 'Time from a request arriving to its answer',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'etsyhook_queue_depth',
    help: 'Events queued for the workers and not yet taken, plus those waiting for a retry',
    registers: [registry],
    async collect() {
      // A scrape while Redis is away still answers (without this gauge's value).
      this.set(await queueDepth(client).catch(() => Number.NaN));
    },
  });
  return {
    observe: (verdict, ms) => {
      requests.inc({ verdict });
      latency.observe(ms / 1000);
    },
    routes: (ready) => ({
      '/ready': (_req, res) => {
        void ready().then((h) => {
          const body = JSON.stringify(h.ok ? { status: 'ready' } : { status: 'not ready', reason: h.reason ?? 'Redis is unreachable' });
          res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
      },
      '/metrics': (_req, res) => {
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(text);
          },
          (err: Error) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`metrics failed: ${err.message}\n`);
          },
        );
      },
    }),
  };
}
