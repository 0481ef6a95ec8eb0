// Webhook delivery as Etsy does it: every pending webhook goes to its recorded endpoints at its due time, each
// attempt signed afresh (a new webhook-timestamp) under the same webhook-id; success is a 2xx within 15 s; a refused
// connection is an attempt like any other; no circuit breaker. Each attempt's outcome and next due time are logged,
// so a restart (even after SIGKILL) resumes where delivery stood.
import { Deliverer } from '../core/delivery/http.js';
import { delayBefore } from '../core/delivery/retry.js';
import { attemptRecord, delivered } from '../core/delivery/attempt.js';
import type { DeliveryRecord } from '../core/log/records.js';
import { signatureHeaders } from '../core/receive/signature.js';
import { userAgent } from '../version.js';
import type { Entry, SandboxState, Webhook, WebhookTarget } from './state.js';

/** Etsy counts an attempt as delivered on a 2xx within 15 s. */
export const WEBHOOK_TIMEOUT_MS = 15_000;

export interface OutboxOptions {
  state: SandboxState;
  schedule: readonly number[];
  /** Log a change (the attempt's outcome) durably. */
  commit: (entry: Entry) => Promise<void>;
  onAttempt: (record: DeliveryRecord) => void;
  onError: (err: Error) => void;
}

export class Outbox {
  private readonly deliverer = new Deliverer({ connections: 8 });
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: OutboxOptions) {}

  /** Start whatever is due, and wake up when the next one is. */
  kick(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    let next = Infinity;
    for (const w of this.o.state.webhooks.values()) {
      for (const t of w.targets) {
        if (t.done || this.running.has(key(w, t))) continue;
        if (t.dueAt <= now) this.start(w, t);
        else next = Math.min(next, t.dueAt);
      }
    }
    if (next !== Infinity) this.timer = setTimeout(() => this.kick(), Math.min(next - now, 2 ** 31 - 1));
  }

  private start(w: Webhook, t: WebhookTarget): void {
    const k = key(w, t);
    const run = this.attempt(w, t)
      .catch((err: unknown) => this.o.onError(err as Error))
      .finally(() => {
        this.running.delete(k);
        this.kick();
      });
    this.running.set(k, run);
  }

  private async attempt(w: Webhook, t: WebhookTarget): Promise<void> {
    const body = Buffer.from(w.body, 'utf8');
    const headers = {
      'content-type': 'application/json',
      'user-agent': userAgent(),
      ...signatureHeaders('standard', this.o.state.app.webhookSecret, body, { id: w.webhookId }),
    };
    const result = await this.deliverer.send(t.url, headers, body, { timeoutMs: WEBHOOK_TIMEOUT_MS, signal: this.abort.signal });
    if (this.closed) return; // cut short by shutdown: not an attempt; due again after the restart
    const attempts = t.attempts + 1;
    const ok = delivered(result);
    const delay = ok ? undefined : delayBefore(this.o.schedule, attempts + 1);
    const done = ok || delay === undefined;
    await this.o.commit({ attempts: [{ webhookId: w.webhookId, url: t.url, attempts, dueAt: Date.now() + (delay ?? 0), done }] });
    const status = ok ? 'delivered' : done ? 'dead' : 'failed';
    this.o.onAttempt(attemptRecord({ id: w.id, target: t.url, attempt: attempts, status, webhookId: w.webhookId }, result));
  }

  /** Stop: attempts in flight are abandoned (they are due again at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.running.values()]);
    await this.deliverer.close();
  }
}

function key(w: Webhook, t: WebhookTarget): string {
  return `${w.webhookId} ${t.url}`;
}
