// `etsyhook configs list|create|delete`: the shop's webhook push configurations on Etsy.
import type { Command } from '../shared/commander.js';
import { context } from '../shared/context.js';
import { addApiOptions, type ApiFlags } from '../shared/etsy.js';
import { parsedOption } from '../shared/flags.js';
import { apiFlags, parseCreateOptions, parseDeleteOptions, parseDeliveryUrl, parseEventTypes, type RawCreateOptions, type RawDeleteOptions } from './options.js';
import { createConfig, deleteConfig, listConfigs } from './run.js';

export function register(program: Command): void {
  const configs = program
    .command('configs')
    .description("list, create and delete the shop's push configurations (where Etsy sends webhooks)")
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook configs list
  $ etsyhook configs create --url https://example.com/etsy/webhooks --events order.paid,order.shipped
  $ etsyhook configs delete 123456 --yes

The shop is --shop, else ETSY_SHOP_ID, else the logged-in user's shop (etsyhook auth login).`,
    );

  const list = configs.command('list').description('list the push configurations of the shop (--json: the array as the API returns it)');
  addApiOptions(list, { shop: true })
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook configs list
  $ etsyhook configs list --shop 12345678 --json | jq -r '.[].url'`,
    )
    .action(async (_o: object, cmd: Command) => {
      const { opts, out } = context<ApiFlags>(cmd);
      await listConfigs(apiFlags(opts), out);
    });

  const create = configs
    .command('create')
    .description('create a push configuration: Etsy will POST the given events to the URL')
    .addOption(parsedOption('--url <url>', 'the https URL Etsy delivers to (prompted on a terminal)', (raw, name) => parseDeliveryUrl(raw, name)))
    .addOption(
      parsedOption<string[]>('--events <list>', 'comma-separated event types, e.g. order.paid,order.shipped (chosen from a list on a terminal)', (raw, name, prev) =>
        parseEventTypes(raw, name, prev),
      ),
    );
  addApiOptions(create, { shop: true })
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook configs create --url https://example.com/etsy/webhooks --events order.paid,order.shipped
  $ etsyhook configs create --url https://example.com/hooks --events order.paid --json | jq .id

Event types: etsyhook events types`,
    )
    .action(async (_o: object, cmd: Command) => {
      const { opts, out } = context<RawCreateOptions>(cmd);
      await createConfig(parseCreateOptions(opts, out.interactive), out);
    });

  const del = configs
    .command('delete')
    .description('delete a push configuration by id (shows it and asks first on a terminal; --yes elsewhere)')
    .argument('<id>', 'the push configuration id, as shown by configs list')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)');
  addApiOptions(del, { shop: true })
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook configs delete 123456
  $ etsyhook configs delete 123456 --yes --shop 12345678`,
    )
    .action(async (id: string, _o: object, cmd: Command) => {
      const { opts, out } = context<RawDeleteOptions>(cmd);
      await deleteConfig(parseDeleteOptions(id, opts, out.interactive), out);
    });
}
