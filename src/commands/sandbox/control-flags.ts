// What every control command shares: --sandbox (env ETSYHOOK_SANDBOX), and rendering the object it got back.
import type { Command } from '../shared/commander.js';
import { urlOption } from '../shared/flags.js';
import { DEFAULT_SANDBOX_URL } from '../../sandbox/client.js';
import type { Output } from '../../ui/output.js';

/** A control command's --help examples (each starts `$ etsyhook sandbox …`). */
export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ etsyhook sandbox ${l}`).join('\n')}`);
}

export function addSandboxOption(cmd: Command): Command {
  return cmd.addOption(urlOption('--sandbox <url>', `the running sandbox (default ${DEFAULT_SANDBOX_URL})`).env('ETSYHOOK_SANDBOX'));
}

export function sandboxUrl(raw: URL | undefined): URL {
  return raw ?? new URL(DEFAULT_SANDBOX_URL);
}

/** --json: the object as the API shows it; otherwise its id on stdout (for scripts) and a line for humans. */
export function renderResult(out: Output, value: Record<string, unknown>, idKey: string, summary: string): void {
  if (out.json) out.data(value);
  else {
    out.line(String(value[idKey]));
    out.success(summary);
  }
}
