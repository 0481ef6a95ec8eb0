// How every long-running or batch command stops, the same way: the first Ctrl-C, SIGTERM or SIGHUP (or the reader of
// stdout going away, EPIPE) aborts the work so the command can finish what is in flight and print the summary so
// far; then Ctrl-C exits 130, the others 0. A second signal ends the process at once (the signal raised again with
// the default handler back, so the shell sees 128 + its number). No process.exit here: cli.ts decides exit codes.
import { EXIT_INTERRUPTED, SilentExit } from '../../errors.js';

export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'EPIPE';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Lifecycle {
  /** Aborted at the first stop. */
  readonly signal: AbortSignal;
  /** Resolves at the first stop (never rejects): with its reason, or undefined after stop(). */
  readonly stopped: Promise<StopReason | undefined>;
  /** Why it stopped, once it has. */
  readonly reason: StopReason | undefined;
  /** Stop early from inside (a fatal error, the work is done): `stopped` resolves, `reason` stays undefined. */
  stop(): void;
  /** Stop listening: the default handlers come back. */
  dispose(): void;
  /**
   * Stop listening (the default handlers come back), then end the command as the stop asks: after Ctrl-C a
   * SilentExit(130) (the command has printed its summary), otherwise nothing.
   */
  end(): void;
}

export function lifecycle(): Lifecycle {
  const controller = new AbortController();
  let reason: StopReason | undefined;
  let resolveStopped!: (r: StopReason | undefined) => void;
  const stopped = new Promise<StopReason | undefined>((r) => (resolveStopped = r));
  const again = (sig: NodeJS.Signals): void => {
    dispose();
    process.kill(process.pid, sig);
  };
  const first = (why: StopReason | undefined): void => {
    if (controller.signal.aborted) return;
    reason = why;
    for (const sig of SIGNALS) {
      process.off(sig, first);
      process.once(sig, again);
    }
    controller.abort();
    resolveStopped(why);
  };
  const onPipe = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') first('EPIPE');
  };
  function dispose(): void {
    for (const sig of SIGNALS) {
      process.off(sig, first);
      process.off(sig, again);
    }
    process.stdout.off('error', onPipe);
  }
  for (const sig of SIGNALS) process.on(sig, first);
  process.stdout.on('error', onPipe);
  return {
    signal: controller.signal,
    stopped,
    get reason() {
      return reason;
    },
    stop: () => first(undefined),
    dispose,
    end: () => {
      dispose();
      if (reason === 'SIGINT') throw new SilentExit(EXIT_INTERRUPTED);
    },
  };
}
