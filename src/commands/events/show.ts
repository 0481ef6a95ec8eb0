// events show: one stored event in full (headers, body, attempts), --raw for the body, --expand for its resource.
import type { Command } from '../shared/commander.js';
import { OperationError, UsageError } from '../../errors.js';
import type { Output } from '../../ui/output.js';
import { context, type GlobalOptions } from '../shared/context.js';
import { bodyBytes } from '../../core/log/records.js';
import { addApiOptions, openSession, type ApiFlags } from '../shared/etsy.js';
import { openHistory } from '../../core/history/index.js';
import { badLineReporter } from '../shared/filters.js';
import { queueOption, queueUrl } from '../shared/queue.js';
import { QUEUE_HELP } from './list.js';
import { resolveRef, type RefMatch } from '../../core/log/query.js';
import { eventDetailJson, renderEventDetail, prettyJson } from '../../ui/event-detail.js';
import { resourceUrlOf } from '../../core/events/resource.js';

export interface RawShowOptions extends ApiFlags, GlobalOptions {
  raw?: boolean;
  expand?: boolean;
  queue?: string;
}

export interface ShowOptions {
  ref: string;
  raw: boolean;
  expand: boolean;
  json: boolean;
  api: ApiFlags;
  queue: string | undefined;
}

export function parseShowOptions(ref: string, raw: RawShowOptions): ShowOptions {
  if (raw.raw && raw.json) throw new UsageError('--raw and --json cannot be combined: pick one output');
  if (ref.trim() === '') throw new UsageError('name the event: etsyhook events show <id>');
  const { apiBase, timeout, shop } = raw;
  return {
    ref: ref.trim(),
    raw: raw.raw ?? false,
    expand: raw.expand ?? false,
    json: raw.json ?? false,
    api: { ...(apiBase === undefined ? {} : { apiBase }), ...(timeout === undefined ? {} : { timeout }), ...(shop === undefined ? {} : { shop }) },
    queue: queueUrl(raw.queue),
  };
}

async function showEvent(o: ShowOptions, out: Output): Promise<void> {
  const history = await openHistory({ queue: o.queue });
  let match: RefMatch | undefined;
  try {
    const bad = badLineReporter(out, history.name);
    [match] = await history.find([o.ref], { onBadLine: bad.onBadLine });
    bad.report();
  } finally {
    await history.close();
  }
  const ev = resolveRef(match!);
  // A webhook-id received more than once: the accepted record is shown; say where the others are.
  if (match!.others !== undefined) {
    out.info(`webhook-id ${ev.record.webhookId} was received ${match!.others.length + 1} times: showing ${ev.record.id} (${ev.record.status}); also ${match!.others.join(', ')}`);
  }
  if (o.raw) {
    out.raw(bodyBytes(ev.record));
    return;
  }
  let fetchResource: (() => Promise<{ url: string; data: unknown }>) | undefined;
  if (o.expand) {
    const url = resourceUrlOf(ev.record);
    if (url === undefined) {
      throw new OperationError(`event ${ev.record.id} names no Etsy resource to fetch (no resource_url, or resource_id and shop_id)`);
    }
    const session = await openSession(o.api, out);
    fetchResource = async () => ({ url, data: await session.getJson(url) });
  }
  if (o.json) {
    const resource = fetchResource ? await fetchResource() : undefined;
    out.data({ ...eventDetailJson(ev), ...(match!.others ? { duplicates: match!.others } : {}), ...(resource ? { resource } : {}) });
    return;
  }
  out.raw(renderEventDetail(ev, out.cOut));
  if (fetchResource) {
    // The event first: if the API call fails, what was stored has still been shown.
    const resource = await fetchResource();
    out.raw(`\n${out.cOut.bold('Resource')} ${out.cOut.dim(`(GET ${resource.url})`)}\n${prettyJson(JSON.stringify(resource.data))}\n`);
  }
}

// ---- events clear ----------------------------------------------------------------------------------------------

export function registerShow(events: Command): void {
  const show = events
    .command('show')
    .description('one stored event: headers, body, verdict and every delivery attempt')
    .argument('<id>', 'the event id (evt_…) or its webhook-id (msg_…), or a unique prefix of either')
    .option('--raw', 'write the exact stored body bytes to stdout, nothing else')
    .option('--expand', 'also fetch the resource the event names (its resource_url) from the Etsy API, as the logged-in user')
    .addOption(queueOption(QUEUE_HELP));
  show.options.find((o) => o.long === '--raw')!.conflicts('expand');
  addApiOptions(show)
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook events show evt_4k2j
  $ etsyhook events show msg_2a7Xk9                     by webhook-id, as Etsy's portal and your app's logs show it
  $ etsyhook events show evt_4k2j --raw > fixture.json && etsyhook send order.paid --data fixture.json
  $ etsyhook events show evt_4k2j --expand              the receipt behind an order.paid (needs etsyhook auth login)
  $ etsyhook events show evt_4k2j --json | jq .headers`,
    )
    .action(async (ref: string, _flags: object, cmd: Command) => {
      const { opts, out } = context<RawShowOptions>(cmd);
      await showEvent(parseShowOptions(ref, opts), out);
    });

}
