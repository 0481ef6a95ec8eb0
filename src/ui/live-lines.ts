// What a running receiver shows as it works: one human line per request and per delivery attempt on stderr (the
// same lines as `tail`, from event-line.ts), or with --json one NDJSON object per record on stdout (present.ts).
import type { PipelineObserver } from '../core/delivery/observer.js';
import { formatEventLine } from './event-line.js';
import { duration } from '../format.js';
import { LineWriter, type Output } from './output.js';
import { attemptJson, receivedLineJson } from './present.js';

export interface LiveLines extends PipelineObserver {
  /** Write what is buffered (lines go out every 20 ms). */
  flush(): void;
  /** With `held`: the lines kept back so far go out now, and the next ones as they come. */
  release(): void;
}

/** Lines kept back at most while `held` (a start that takes long must not hold a burst in memory). */
const MAX_HELD = 1000;

export function liveLines(
  out: Output,
  options: { maxAttempts?: number; maxAttemptsOf?: (route: string) => number | undefined; queue?: string; held?: boolean } = {},
): LiveLines {
  const c = out.c;
  const writer = new LineWriter(process.stderr);
  // Held until release(): resumed deliveries start with the pipeline, before dev has printed its banner.
  let held: string[] | undefined = options.held ? [] : undefined;
  const release = (): void => {
    for (const line of held ?? []) writer.write(line);
    held = undefined;
  };
  const lines = {
    write(line: string): void {
      if (held !== undefined && held.length >= MAX_HELD) release();
      if (held !== undefined) held.push(line);
      else writer.write(line);
    },
    flush: () => writer.flush(),
  };
  // stdout through Output, opened at the first line: a start that fails still gets its {"error"} there.
  let dataLines: LineWriter | undefined;
  const data = { write: (line: string): void => (dataLines ??= out.dataLines()).write(line), flush: (): void => dataLines?.flush() };
  const clock = (): string => new Date().toTimeString().slice(0, 8);
  return {
    onRequest(r) {
      const rec = r.record;
      if (rec === undefined) return;
      if (out.json) {
        data.write(JSON.stringify(receivedLineJson(rec, { outcome: r.outcome, httpStatus: r.status, reason: r.storeError ?? rec.reason ?? null, stored: r.stored, ms: r.ms })));
        return;
      }
      // Not stored: the line shows the 503 actually answered, not the answer the record was meant to carry.
      lines.write(r.outcome !== 'unstored' ? formatEventLine(rec, c) : formatEventLine({ ...rec, httpStatus: r.status }, c, { unstored: r.storeError ?? 'not stored' }));
    },
    onAttempt({ record, event, retryInMs, held }) {
      if (out.json) {
        data.write(JSON.stringify({ ...attemptJson(record, event), retryInMs: retryInMs ?? null, ...(held ? { held } : {}) }));
        return;
      }
      const maxAttempts = (record.route !== undefined ? options.maxAttemptsOf?.(record.route) : undefined) ?? options.maxAttempts;
      lines.write(
        formatEventLine(record, c, {
          ...(event.type !== undefined ? { type: event.type } : {}),
          ...(retryInMs !== undefined ? { retryInMs } : {}),
          ...(held ? { held } : {}),
          ...(maxAttempts !== undefined ? { maxAttempts } : {}),
          ...(options.queue !== undefined ? { queue: options.queue } : {}),
        }),
      );
    },
    onNotice(n) {
      if (out.json) return;
      if (n.kind === 'hold' && (n.failedProbes ?? 0) > 0) {
        lines.write(c.dim(`${clock()}  still no answer from ${n.target} (try ${n.failedProbes}, not counted as an attempt); next try in ${duration(n.probeInMs ?? 0)}`));
      } else if (n.kind === 'hold') {
        lines.write(c.yellow(`${clock()}  the app at ${n.target} is not answering: holding deliveries (stored, not dropped, no attempts used); next try in ${duration(n.probeInMs ?? 0)}`));
      } else if (n.kind === 'resume') {
        lines.write(c.green(`${clock()}  the app answers again: delivering what was held`) + c.dim(`  (${n.target})`));
      } else {
        lines.flush();
        out.warn(`a delivery attempt could not be recorded: ${n.error ?? 'unknown error'}`);
      }
    },
    flush() {
      lines.flush();
      data.flush();
    },
    release,
  };
}
