// What every command shares: the global flags and the Output that follows them.
import type { Command } from 'commander';
import { Output } from '../../ui/output.js';

export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
}

/** The command's options merged with the global ones (--json, --verbose), and an Output that follows them. */
export function context<T extends object>(cmd: Command): { opts: T & GlobalOptions; out: Output } {
  const opts = cmd.optsWithGlobals<T & GlobalOptions>();
  const out = new Output({ json: opts.json ?? false, ...(opts.verbose ? { verbose: true } : {}) });
  return { opts, out };
}

/** Collect a repeatable flag's values (`--set a=1 --set b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
