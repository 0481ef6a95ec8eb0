// Sending the replays: a line (or a progress bar) per result; Ctrl-C stops at once with what was done.
import type { ReplaySource, ReplaySummary } from '../../core/delivery/replay.js';
import { type History } from '../../core/history/index.js';
import { type Lifecycle } from '../shared/lifecycle.js';
import type { Output } from '../../ui/output.js';
import { attemptJson } from '../../ui/present.js';
import { duration } from '../../format.js';
import { type ReplayParsed } from './options.js';
import { Deliverer } from '../../core/delivery/http.js';
import { formatEventLine } from '../../ui/event-line.js';
import { isCI } from '../../ui/output.js';
import { isDuplicateAnswer } from '../../core/delivery/answer.js';
import * as replay from '../../core/delivery/replay.js';

export const LINES_ON_A_TERMINAL = 20;

export interface Sent {
  summary: ReplaySummary;
  closeError: Error | undefined;
  failures: string[];
  progress: boolean;
}

/** Send every request, a line (or a progress bar) per result; Ctrl-C stops at once with what was done. */
export async function sendAll(
  requests: ReplaySource,
  o: ReplayParsed & { insecure: boolean; manyTargets: boolean; history: History; life: Lifecycle },
  out: Output,
): Promise<Sent> {
  const { concurrency, timeoutMs, history } = o;
  const sender = new Deliverer({ connections: concurrency, insecure: o.insecure });
  const progress = !out.json && requests.length > LINES_ON_A_TERMINAL && Boolean(process.stderr.isTTY) && !isCI();
  const interrupt = o.life;
  // Without a terminal, a long replay says how far it got every few seconds (stderr), so CI logs are not silent.
  const started = Date.now();
  const ticker = progress ? undefined : setInterval(() => out.info(`... replayed ${done}/${requests.length} in ${duration(Date.now() - started)}`), PROGRESS_EVERY_MS);
  // One line redrawn in place (not a spinner library: those misbehave on a terminal that reports 0 columns).
  const draw = (text: string): void => void process.stderr.write(`\r${text}\x1b[K`);
  if (progress) draw(`replaying ${bar(0, requests.length)} 0/${requests.length}`);
  // One line per event on stdout, written in batches: 10,000 replays are not 10,000 writes.
  const lines = out.dataLines();
  let done = 0;
  let lastDraw = 0;
  const failures: string[] = [];
  let summary: ReplaySummary;
  let closeError: Error | undefined;
  try {
    summary = await replay.replayEvents(requests, {
      sender,
      sink: { attempt: (record) => history.recordAttempt(record) },
      concurrency,
      timeoutMs,
      insecure: o.insecure,
      signal: interrupt.signal,
      onResult: ({ request, record }) => {
        done++;
        if (out.json) {
          lines.write(JSON.stringify({ ...attemptJson(record, { type: request.event.record.type, webhookId: request.webhookId }), resigned: request.resigned, duplicate: isDuplicateAnswer(record.httpStatus, record.response?.body) }));
          return;
        }
        const type = request.event.record.type;
        const lineOptions = { target: o.manyTargets, ...(type === undefined ? {} : { type }) };
        if (!progress) {
          lines.write(formatEventLine(record, out.cOut, lineOptions));
          return;
        }
        if (record.status !== 'delivered' && failures.length < 10) failures.push(formatEventLine(record, out.c, lineOptions));
        const t = Date.now();
        if (t - lastDraw > 100 || done === requests.length) {
          lastDraw = t;
          draw(`replaying ${bar(done, requests.length)} ${done}/${requests.length}`);
        }
      },
    });
  } finally {
    clearInterval(ticker);
    interrupt.dispose();
    lines.flush();
    if (progress) process.stderr.write('\r\x1b[K');
    await sender.close();
    // The last attempts are synced here; a history that fails now still replayed everything: say so, below.
    closeError = await history.close().then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
  }
  return { summary: summary!, closeError, failures, progress };
}

export const PROGRESS_EVERY_MS = 2_000;

export function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / total) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}
