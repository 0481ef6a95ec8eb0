// `etsyhook sandbox`: a local Etsy. The server (serve.ts) and its control commands (order, listing, reset), each
// in its own file; this one only assembles them.
import type { Command } from '../shared/commander.js';
import { registerServe } from './serve.js';
import { registerOrder } from './order.js';
import { registerListing } from './listing.js';
import { registerReset } from './reset.js';

export function register(program: Command): void {
  const sandbox = registerServe(program);
  registerOrder(sandbox);
  registerListing(sandbox);
  registerReset(sandbox);
  // The server's flags are not the control commands': their help shows only the program's global flags.
  for (const sub of sandbox.commands) hideServerFlags(sub);
}

function hideServerFlags(cmd: Command): void {
  cmd.configureHelp({
    showGlobalOptions: true,
    sortSubcommands: false,
    visibleGlobalOptions: (c: Command) => {
      let root = c;
      while (root.parent) root = root.parent;
      return root.options.filter((o) => !o.hidden);
    },
  });
  for (const sub of cmd.commands) hideServerFlags(sub);
}
