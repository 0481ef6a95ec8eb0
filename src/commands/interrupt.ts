// Ctrl-C for commands that work through a batch (send --count, replay): the first SIGINT aborts the work so the
// command can print what it did so far and exit 130; a second one exits at once.
export const EXIT_INTERRUPTED = 130;

export interface Interrupt {
  /** Aborted by the first Ctrl-C (or SIGTERM). */
  signal: AbortSignal;
  /** Stop listening (the default handlers come back). */
  dispose(): void;
}

export function onInterrupt(): Interrupt {
  const controller = new AbortController();
  const again = (): void => process.exit(EXIT_INTERRUPTED);
  const first = (): void => {
    process.off('SIGINT', first);
    process.off('SIGTERM', first);
    process.once('SIGINT', again);
    process.once('SIGTERM', again);
    controller.abort();
  };
  process.on('SIGINT', first);
  process.on('SIGTERM', first);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        process.off(sig, first);
        process.off(sig, again);
      }
    },
  };
}
