// `--check-config` on the long-running commands (serve, worker): every flag and variable is parsed exactly as for a
// start (a bad one is the usual exit 2, naming it), then, instead of starting, one line says what would run. Nothing
// listens, connects or writes. Containers use it: each compose service's command line can be checked on any machine.
import type { Output } from './output.js';

export const CHECK_CONFIG_HELP =
  'parse every flag and variable as a start would, say what would run, and exit 0 (2 naming what is wrong) without starting anything';

/**
 * Call after the command's options are parsed: with --check-config, says what would run (stderr; `--json`: an object
 * on stdout) and returns true, and the command returns without starting; otherwise returns false.
 */
export function checkedConfig(raw: { checkConfig?: boolean }, command: string, summary: Record<string, string | number>, out: Output): boolean {
  if (raw.checkConfig !== true) return false;
  if (out.json) out.data({ command, ok: true, ...summary });
  const said = Object.entries(summary).map(([k, v]) => `${k} ${v}`).join(', ');
  out.success(`${command}: configuration OK, nothing started (${said})`);
  return true;
}
