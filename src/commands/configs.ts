// `etsyhook configs list | create | delete`: the shop's push configurations (webhook endpoints) via the Etsy API.
import type { Command } from 'commander';
import { OperationError, UsageError } from '../errors.js';
import { closeMatches, EVENT_TYPES, isKnownName, toCurrentNames } from '../core/events/catalog.js';
import { splitList } from '../core/events/globs.js';
import type { PushConfiguration } from '../etsy/session.js';
import type { Output } from '../ui/output.js';
import { localTime } from '../ui/time.js';
import { context, type GlobalOptions } from './common.js';
import { addApiOptions, openSession, type ApiFlags } from './etsy-shared.js';
import { parsedOption } from './flags.js';

const URL_EXAMPLE = 'for example --url https://example.com/etsy/webhooks';
const EVENTS_EXAMPLE = 'for example --events order.paid,order.shipped';

export interface RawCreateOptions extends ApiFlags, GlobalOptions {
  url?: string;
  events?: string[];
}

export interface CreateOptions {
  /** Undefined: asked for on a terminal. */
  url: string | undefined;
  events: string[] | undefined;
  api: ApiFlags;
}

/** Check what was typed before anything else, so a typo fails fast and without a network call. */
export function parseCreateOptions(raw: RawCreateOptions, interactive: boolean): CreateOptions {
  if (!interactive) {
    if (raw.url === undefined) throw new UsageError('--url is required when not on an interactive terminal', URL_EXAMPLE);
    if (raw.events === undefined) throw new UsageError('--events is required when not on an interactive terminal', EVENTS_EXAMPLE);
  }
  return { url: raw.url, events: raw.events, api: apiFlags(raw) };
}

export interface RawDeleteOptions extends ApiFlags, GlobalOptions {
  yes?: boolean;
}

export interface DeleteOptions {
  id: string;
  yes: boolean;
  json: boolean;
  api: ApiFlags;
}

export function parseDeleteOptions(id: string, raw: RawDeleteOptions, interactive: boolean): DeleteOptions {
  const trimmed = id.trim();
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed)) throw new UsageError(`<id> must be a push configuration id such as 123456, got '${id}'`, 'see etsyhook configs list');
  if (!raw.yes && !interactive) throw new UsageError('configs delete needs --yes when not on an interactive terminal');
  return { id: trimmed, yes: raw.yes ?? false, json: raw.json ?? false, api: apiFlags(raw) };
}

function apiFlags(raw: ApiFlags): ApiFlags {
  const { apiBase, timeout, shop } = raw;
  return { ...(apiBase === undefined ? {} : { apiBase }), ...(timeout === undefined ? {} : { timeout }), ...(shop === undefined ? {} : { shop }) };
}

/** An https URL Etsy can deliver to; the message for the prompt, or true. */
export function checkUrl(raw: string): true | string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return `not a valid URL: '${raw}'`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) return `Etsy delivers only to https URLs, got '${raw}'`;
  return true;
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** An http:// loopback URL is fine against a loopback API base (etsyhook sandbox); Etsy itself needs https. */
function checkLoopbackPair(url: string, apiBase: string): void {
  if (new URL(url).protocol === 'https:' || isLoopback(new URL(apiBase))) return;
  throw new UsageError(`--url: Etsy delivers only to https URLs, got '${url}'`, 'an http:// loopback URL works only against a local API base such as etsyhook sandbox');
}

export function parseDeliveryUrl(raw: string, name: string): string {
  const ok = checkUrl(raw);
  if (ok !== true) throw new UsageError(`${name}: ${ok}`, URL_EXAMPLE);
  return raw.trim();
}

/** Event types Etsy knows, de-duplicated; an unknown one names the nearest. */
export function parseEventTypes(raw: string, name: string, previous: string[] = []): string[] {
  const names = splitList(raw);
  if (names.length === 0) throw new UsageError(`${name} is empty`, EVENTS_EXAMPLE);
  for (const n of names) {
    if (!isKnownName(n)) {
      const near = closeMatches(n);
      throw new UsageError(`${name}: unknown event type '${n}'${near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : ''}`, 'see etsyhook events types');
    }
  }
  return [...new Set([...previous, ...names])];
}

async function listConfigs(api: ApiFlags, out: Output): Promise<void> {
  const session = await openSession(api, out);
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
  const { outputWidth, renderTable } = await import('../ui/table.js');
  const columns = [{ header: 'id' }, { header: 'url', min: 20, shrinkFirst: 1 }, { header: 'events', min: 12, shrinkFirst: 0 }, { header: 'created' }];
  const rows = configs.map((c) => [String(c.id), c.url, c.events.join(','), created(c)]);
  out.line(renderTable(columns, rows, out.cOut, outputWidth()));
  out.info(`${configs.length} push configuration${configs.length === 1 ? '' : 's'} for shop ${shopId}`);
}

/** Etsy's timestamps are unix seconds in `created_timestamp` (or `create_timestamp`); local time, as every table. */
function created(c: PushConfiguration): string {
  const raw = c.created_timestamp ?? c.create_timestamp ?? c.created_at ?? c.created;
  if (typeof raw === 'number' && Number.isFinite(raw)) return localTime(raw < 1e12 ? raw * 1000 : raw, { seconds: false });
  if (typeof raw === 'string' && raw !== '') return localTime(raw, { seconds: false });
  return '';
}

async function createConfig(o: CreateOptions, out: Output): Promise<void> {
  const session = await openSession(o.api, out);
  const prompts = out.interactive ? await import('../ui/prompts.js') : undefined;
  const url = o.url ?? (await prompts!.askText('HTTPS URL Etsy should deliver to:', checkUrl));
  const chosen =
    o.events ??
    (await prompts!.askChoices(
      'Events to deliver (space to select, enter to confirm):',
      EVENT_TYPES.map((t) => ({ value: t.name, description: t.description })),
    ));
  checkLoopbackPair(url, session.apiBase);
  const { names: events, warnings } = toCurrentNames(chosen);
  for (const w of warnings) out.warn(w);
  const shopId = await session.shopId();
  const createdConfig = await session.createPushConfiguration(shopId, { url, events });
  if (out.json) out.data(createdConfig);
  else out.line(String(createdConfig.id));
  out.success(`Created push configuration ${createdConfig.id} for shop ${shopId}: ${url} (${events.join(', ')})`);
}

/** One line naming a configuration: its id, URL and events. */
function describe(c: PushConfiguration): string {
  return `${c.id} (${c.url || 'no URL'}; ${c.events.length > 0 ? c.events.join(', ') : 'no events'})`;
}

async function deleteConfig(o: DeleteOptions, out: Output): Promise<void> {
  const session = await openSession(o.api, out);
  const shopId = await session.shopId();
  // Look it up first: an unknown id fails before any question, and the question shows what goes.
  const config = (await session.listPushConfigurations(shopId)).find((c) => String(c.id) === o.id);
  if (config === undefined) {
    throw new OperationError(`shop ${shopId} has no push configuration with id ${o.id}`, { hint: `see etsyhook configs list --shop ${shopId}` });
  }
  if (!o.yes) {
    const { askConfirm } = await import('../ui/prompts.js');
    if (!(await askConfirm(`Delete push configuration ${describe(config)} of shop ${shopId}? Etsy stops delivering to it.`))) {
      throw new OperationError('cancelled; nothing deleted');
    }
  }
  await session.deletePushConfiguration(shopId, o.id);
  if (o.json) out.data({ deleted: true, id: /^\d+$/.test(o.id) ? Number(o.id) : o.id, shopId });
  out.success(`Deleted push configuration ${describe(config)} of shop ${shopId}`);
}

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
