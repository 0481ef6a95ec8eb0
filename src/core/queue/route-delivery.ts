// Routes in a worker: an event's job is fanned out into one job per matching route (QueueWorker does that, with
// routesFor), and each route's job is delivered here through the same senders `dev` uses for routes — byte-exact
// HTTP through the one Deliverer, exec:, slack:, pushover: through targets.ts.
import type { ReceivedRecord } from '../log/records.js';
import type { DeliveryResult } from '../delivery/attempt.js';
import type { Deliverer } from '../delivery/http.js';
import type { AttemptResult, SendAttempt } from '../delivery/attempt.js';
import type { Route } from '../delivery/routes.js';
import { killCommands, routeSender } from '../delivery/targets.js';
import type { EventDelivery } from './worker.js';

export class RouteDelivery implements EventDelivery {
  private readonly byLabel = new Map<string, { route: Route; send: SendAttempt }>();
  /** Process ids of exec: commands running now. */
  private readonly commands = new Set<number>();

  constructor(
    readonly routes: readonly Route[],
    private readonly sender: Deliverer,
    timeoutMs: number,
  ) {
    for (const route of routes) {
      const ms = route.timeoutMs ?? timeoutMs;
      const t = route.target;
      const send: SendAttempt =
        routeSender(route, sender, ms, this.commands) ??
        ((event, body, attempt) => sender.send(t.kind === 'http' ? t.url : route.targetLabel, event.headers, body, { timeoutMs: ms, attempt }));
      // A job names its route by label; masking can give two routes one label (two Slack URLs): number the repeats.
      let label = route.label;
      for (let n = 2; this.byLabel.has(label); n++) label = `${route.label} #${n}`;
      this.byLabel.set(label, { route, send });
    }
  }

  routesFor(event: ReceivedRecord): string[] {
    return [...this.byLabel].filter(([, l]) => l.route.matches(event.type)).map(([label]) => label);
  }

  maxAttemptsFor(label: string): number | undefined {
    return this.byLabel.get(label)?.route.maxAttempts;
  }

  async deliver(event: ReceivedRecord, body: Buffer, attempt: number, label?: string): Promise<{ target: string; result: DeliveryResult & { ok?: boolean } }> {
    const lane = label === undefined ? undefined : this.byLabel.get(label);
    if (lane === undefined) {
      // Workers sharing a queue should run the same routes; a job for a route this one lacks fails (and is retried,
      // perhaps by a worker that has it) rather than being sent somewhere it was not meant to go.
      const result: AttemptResult = { ok: false, ms: 0, error: `this worker has no route ${label ?? '(none)'}; start every worker with the same routes` };
      return { target: label?.slice(label.indexOf('=') + 1) ?? '', result };
    }
    return { target: lane.route.targetLabel, result: await lane.send(event, body, attempt) };
  }

  async close(): Promise<void> {
    killCommands(this.commands);
    await this.sender.close();
  }
}
