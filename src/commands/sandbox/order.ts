// `etsyhook sandbox order create|pay|ship|deliver|cancel`: what a buyer and the carrier do, in the running sandbox.
import type { Command } from '../shared/commander.js';
import { context } from '../shared/context.js';
import { intOption } from '../shared/flags.js';
import { parseInteger } from '../../parse.js';
import { controlRequest } from '../../sandbox/client.js';
import { addSandboxOption, examples, renderResult, sandboxUrl } from './control-flags.js';

interface CreateOptions {
  listing: number;
  quantity: number;
  pay?: boolean;
  sandbox?: URL;
}

interface ShipOptions {
  trackingCode?: string;
  carrier?: string;
  sandbox?: URL;
}

const STEPS = {
  pay: { description: 'pay for an order: stock is taken, order.paid fires', event: 'order.paid' },
  ship: { description: 'ship an order (a shipment with tracking is added): order.shipped fires', event: 'order.shipped' },
  deliver: { description: 'mark a shipped order delivered: order.delivered fires', event: 'order.delivered' },
  cancel: { description: 'cancel an order not yet shipped (a paid one gets its stock back): order.canceled fires', event: 'order.canceled' },
} as const;

export function registerOrder(sandbox: Command): void {
  const order = examples(sandbox.command('order').description('create orders and move them along: pay, ship, deliver, cancel'), 'order create --listing 1400000001 --pay', 'order ship 3100000001 --tracking-code 9400111899223 --carrier usps');
  const create = order
    .command('create')
    .description('a buyer orders a listing (status open, unpaid; --pay pays at once)')
    .addOption(intOption('--listing <id>', 'the listing ordered', { min: 1 }).makeOptionMandatory())
    .addOption(intOption('--quantity <n>', 'how many', { min: 1, max: 999 }).default(1))
    .option('--pay', 'pay at once (order.paid fires)');
  examples(create, 'order create --listing 1400000001 --pay', 'order create --listing 1400000001 --quantity 2 --json | jq .receipt_id');
  addSandboxOption(create).action(async (_o: object, cmd: Command) => {
    const { opts, out } = context<CreateOptions>(cmd);
    const answer = await controlRequest(sandboxUrl(opts.sandbox), '/_sandbox/orders', { listing_id: opts.listing, quantity: opts.quantity, pay: opts.pay === true });
    renderResult(out, answer, 'receipt_id', `Receipt ${String(answer.receipt_id)} is ${String(answer.status)}${opts.pay ? ' (order.paid fired)' : ''}`);
  });

  for (const [step, { description, event }] of Object.entries(STEPS)) {
    const cmd = order.command(step).description(description).argument('<receipt>', 'the receipt id');
    if (step === 'ship') cmd.option('--tracking-code <code>', 'the tracking code').option('--carrier <name>', 'the carrier, e.g. usps');
    examples(cmd, step === 'ship' ? 'order ship 3100000001 --tracking-code 9400111899223 --carrier usps' : `order ${step} 3100000001`, `order ${step} 3100000001 --json --sandbox http://127.0.0.1:5100`);
    addSandboxOption(cmd).action(async (receipt: string, _o: object, c: Command) => {
      const { opts, out } = context<ShipOptions>(c);
      const body = step === 'ship' ? { ...(opts.trackingCode ? { tracking_code: opts.trackingCode } : {}), ...(opts.carrier ? { carrier_name: opts.carrier } : {}) } : {};
      const answer = await controlRequest(sandboxUrl(opts.sandbox), `/_sandbox/receipts/${parseInteger(receipt, 'the receipt id', { min: 1 })}/${step}`, body);
      renderResult(out, answer, 'receipt_id', `Receipt ${String(answer.receipt_id)} is ${String(answer.status)} (${event} fired)`);
    });
  }
}
