// `etsyhook sandbox reset`: back to the seed (the app's credentials and webhook secret stay).
import type { Command } from '../shared/commander.js';
import { context } from '../shared/context.js';
import { controlRequest } from '../../sandbox/client.js';
import { addSandboxOption, examples, sandboxUrl } from './control-flags.js';

export function registerReset(sandbox: Command): void {
  const reset = sandbox
    .command('reset')
    .description('drop the shop data, push configurations and pending webhooks, and reseed (credentials are kept)');
  examples(reset, 'reset', 'reset --sandbox http://127.0.0.1:5200');
  addSandboxOption(reset).action(async (_o: object, cmd: Command) => {
    const { opts, out } = context<{ sandbox?: URL }>(cmd);
    const answer = await controlRequest(sandboxUrl(opts.sandbox), '/_sandbox/reset');
    if (out.json) out.data(answer);
    else out.success(`Sandbox reset: shop ${String(answer.shop_id)} with ${String(answer.count)} active listings, no receipts`);
  });
}
