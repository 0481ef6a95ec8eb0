// `etsyhook configs list | create | delete`: the shop's push configurations (webhook endpoints) via the Etsy API.
import type { Command } from 'commander';
import { context } from './common.js';
import { addApiOptions, openSession, type ApiFlags } from './etsy-shared.js';
import { OperationError, UsageError } from '../errors.js';
import type { PushConfiguration } from '../etsy/session.js';

interface CreateFlags extends ApiFlags {
  url?: string;
  events?: string;
}

interface DeleteFlags extends ApiFlags {
  yes?: boolean;
}

type Out = ReturnType<typeof context>['out'];

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

  const list = configs
    .command('list')
    .description('list the push configurations of the shop (--json: the array as the API returns it)');
  addApiOptions(list, { shop: true });
  list
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook configs list
  $ etsyhook configs list --shop 12345678 --json | jq -r '.[].url'`,
    )
    .action(async (_o: ApiFlags, cmd: Command) => {
      const { opts, out } = context<ApiFlags>(cmd);
      await listConfigs(opts, out);
    });

  const create = configs
    .command('create')
    .description('create a push configuration: Etsy will POST the given events to the URL')
    .option('--url <url>', 'the https URL Etsy delivers to (prompted on a terminal)')
    .option('--events <list>', 'comma-separated event types, e.g. order.paid,order.shipped (chosen from a list on a terminal)');
  addApiOptions(create, { shop: true });
  create
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook configs create --url https://example.com/etsy/webhooks --events order.paid,order.shipped
  $ etsyhook configs create --url https://example.com/hooks --events order.paid --json | jq .id

Event types: etsyhook events types`,
    )
    .action(async (_o: CreateFlags, cmd: Command) => {
      const { opts, out } = context<CreateFlags>(cmd);
      await createConfig(opts, out);
    });

  const del = configs
    .command('delete')
    .description('delete a push configuration by id (asks first on a terminal; --yes elsewhere)')
    .argument('<id>', 'the push configuration id, as shown by configs list')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)');
  addApiOptions(del, { shop: true });
  del
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook configs delete 123456
  $ etsyhook configs delete 123456 --yes --shop 12345678`,
    )
    .action(async (id: string, _o: DeleteFlags, cmd: Command) => {
      const { opts, out } = context<DeleteFlags>(cmd);
      await deleteConfig(id, opts, out);
    });
}

async function listConfigs(opts: ApiFlags, out: Out): Promise<void> {
  const session = await openSession(opts, out);
  const shopId = await session.shopId();
  const configs = await session.listPushConfigurations(shopId);
  if (out.json) {
    out.data(configs);
    return;
  }
  if (configs.length === 0) {
    out.info(`Shop ${shopId} has no push configurations. Create one: etsyhook configs create --url https://… --events order.paid`);
    return;
  }
  const { default: Table } = await import('cli-table3');
  const table = new Table({ head: ['ID', 'URL', 'EVENTS', 'CREATED'], style: { head: [], border: [] } });
  for (const c of configs) table.push([String(c.id), c.url, c.events.join(', '), created(c)]);
  out.line(table.toString());
  out.info(`${configs.length} push configuration${configs.length === 1 ? '' : 's'} for shop ${shopId}`);
}

/** Etsy's timestamps are unix seconds in `created_timestamp` (or `create_timestamp`); show them as ISO. */
function created(c: PushConfiguration): string {
  const raw = c.created_timestamp ?? c.create_timestamp ?? c.created_at ?? c.created;
  if (typeof raw === 'number' && Number.isFinite(raw)) return new Date(raw < 1e12 ? raw * 1000 : raw).toISOString().replace('.000Z', 'Z');
  if (typeof raw === 'string' && raw !== '') return raw;
  return '';
}

function checkUrl(raw: string): true | string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return `not a valid URL: '${raw}'`;
  }
  if (url.protocol !== 'https:') return `Etsy delivers only to https URLs, got '${raw}'`;
  return true;
}

async function checkEvents(names: string[]): Promise<string[]> {
  const { EVENT_TYPE_NAMES, closeMatches } = await import('../core/events/catalog.js');
  for (const name of names) {
    if (!EVENT_TYPE_NAMES.includes(name)) {
      const near = closeMatches(name);
      throw new UsageError(
        `--events: unknown event type '${name}'${near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : ''}`,
        'see etsyhook events types',
      );
    }
  }
  return [...new Set(names)];
}

async function createConfig(opts: CreateFlags, out: Out): Promise<void> {
  const { splitList } = await import('../core/events/globs.js');
  // Check what was typed before anything else, so a typo fails fast and without a network call.
  if (opts.url !== undefined) {
    const ok = checkUrl(opts.url);
    if (ok !== true) throw new UsageError(`--url: ${ok}`, 'for example --url https://example.com/etsy/webhooks');
  }
  let events = opts.events !== undefined ? await checkEvents(splitList(opts.events)) : undefined;
  if (opts.events !== undefined && events?.length === 0) throw new UsageError('--events is empty', 'for example --events order.paid,order.shipped');
  if (!out.interactive) {
    if (opts.url === undefined) throw new UsageError('--url is required when not on an interactive terminal', 'for example --url https://example.com/etsy/webhooks');
    if (events === undefined) throw new UsageError('--events is required when not on an interactive terminal', 'for example --events order.paid,order.shipped');
  }

  const session = await openSession(opts, out);
  const prompts = out.interactive ? await import('../ui/prompts.js') : undefined;
  const url = opts.url?.trim() ?? (await prompts!.askText('HTTPS URL Etsy should deliver to:', checkUrl));
  if (events === undefined) {
    const { EVENT_TYPES } = await import('../core/events/catalog.js');
    const choices = EVENT_TYPES.map((t) => ({ value: t.name, description: t.description }));
    events = await prompts!.askChoices('Events to deliver (space to select, enter to confirm):', choices);
  }
  const shopId = await session.shopId();
  const createdConfig = await session.createPushConfiguration(shopId, { url, events });
  if (out.json) out.data(createdConfig);
  else out.line(String(createdConfig.id));
  out.success(`Created push configuration ${createdConfig.id} for shop ${shopId}: ${url} (${events.join(', ')})`);
}

async function deleteConfig(id: string, opts: DeleteFlags, out: Out): Promise<void> {
  const trimmed = id.trim();
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed)) throw new UsageError(`<id> must be a push configuration id such as 123456, got '${id}'`, 'see etsyhook configs list');
  if (!opts.yes && !out.interactive) {
    throw new UsageError('configs delete needs --yes when not on an interactive terminal');
  }
  const session = await openSession(opts, out);
  const shopId = await session.shopId();
  if (!opts.yes) {
    const { askConfirm } = await import('../ui/prompts.js');
    if (!(await askConfirm(`Delete push configuration ${trimmed} of shop ${shopId}? Etsy stops delivering to it.`))) {
      throw new OperationError('cancelled; nothing deleted');
    }
  }
  await session.deletePushConfiguration(shopId, trimmed);
  if (out.json) out.data({ deleted: true, id: /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed, shopId });
  out.success(`Deleted push configuration ${trimmed} of shop ${shopId}`);
}
