// configs list/create/delete against the Etsy API: parse → call → render.
import { outputWidth, renderTable } from '../../ui/table.js';
import { OperationError } from '../../errors.js';
import { EVENT_TYPES, toCurrentNames } from '../../core/events/catalog.js';
import type { PushConfiguration } from '../../etsy/session.js';
import type { Output } from '../../ui/output.js';
import { localTime } from '../../ui/time.js';
import { openSession, type ApiFlags } from '../shared/etsy.js';
import { checkUrl, type CreateOptions, type DeleteOptions, checkLoopbackPair } from './options.js';

export async function listConfigs(api: ApiFlags, out: Output): Promise<void> {
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

export async function createConfig(o: CreateOptions, out: Output): Promise<void> {
  const session = await openSession(o.api, out);
  const prompts = out.interactive ? await import('../../ui/prompts.js') : undefined;
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

export async function deleteConfig(o: DeleteOptions, out: Output): Promise<void> {
  const session = await openSession(o.api, out);
  const shopId = await session.shopId();
  // Look it up first: an unknown id fails before any question, and the question shows what goes.
  const config = (await session.listPushConfigurations(shopId)).find((c) => String(c.id) === o.id);
  if (config === undefined) {
    throw new OperationError(`shop ${shopId} has no push configuration with id ${o.id}`, { hint: `see etsyhook configs list --shop ${shopId}` });
  }
  if (!o.yes) {
    const { askConfirm } = await import('../../ui/prompts.js');
    if (!(await askConfirm(`Delete push configuration ${describe(config)} of shop ${shopId}? Etsy stops delivering to it.`))) {
      throw new OperationError('cancelled; nothing deleted');
    }
  }
  await session.deletePushConfiguration(shopId, o.id);
  if (o.json) out.data({ deleted: true, id: /^\d+$/.test(o.id) ? Number(o.id) : o.id, shopId });
  out.success(`Deleted push configuration ${describe(config)} of shop ${shopId}`);
}
