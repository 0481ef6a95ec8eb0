// `etsyhook sandbox listing create`: a new active listing in the running sandbox.
import type { Command } from '../shared/commander.js';
import { context } from '../shared/context.js';
import { intOption, parsedOption } from '../shared/flags.js';
import { UsageError } from '../../errors.js';
import { controlRequest } from '../../sandbox/client.js';
import { addSandboxOption, examples, renderResult, sandboxUrl } from './control-flags.js';

interface ListingOptions {
  title: string;
  price: number;
  quantity: number;
  sandbox?: URL;
}

function parsePrice(raw: string, name: string): number {
  if (!/^\d+(\.\d{1,2})?$/.test(raw.trim()) || Number(raw) <= 0) throw new UsageError(`${name} must be a price such as 25.00, got '${raw}'`);
  return Number(raw);
}

export function registerListing(sandbox: Command): void {
  const listing = examples(sandbox.command('listing').description("manage the sandbox shop's listings"), "listing create --title 'Blue mug' --price 25.00 --quantity 5");
  const create = listing
    .command('create')
    .description('create an active listing')
    .requiredOption('--title <title>', 'the listing title')
    .addOption(parsedOption('--price <price>', 'the price in the shop currency, e.g. 25.00', parsePrice).makeOptionMandatory())
    .addOption(intOption('--quantity <n>', 'how many are in stock', { max: 999 }).default(1));
  examples(create, "listing create --title 'Blue mug' --price 25.00 --quantity 5", "listing create --title 'Bowl' --price 64 --json | jq .listing_id");
  addSandboxOption(create).action(async (_o: object, cmd: Command) => {
    const { opts, out } = context<ListingOptions>(cmd);
    const answer = await controlRequest(sandboxUrl(opts.sandbox), '/_sandbox/listings', { title: opts.title, price: opts.price, quantity: opts.quantity });
    renderResult(out, answer, 'listing_id', `Listing ${String(answer.listing_id)} is ${String(answer.state)} with ${String(answer.quantity)} in stock`);
  });
}
