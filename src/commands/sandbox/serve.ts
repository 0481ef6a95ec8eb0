// `etsyhook sandbox`: serve the local Etsy until stopped. Parse the flags, start it (src/sandbox), print the
// environment an app needs, then one line (or NDJSON record) per request and per webhook attempt.
import { plural } from '../../format.js';
import type { Command } from '../shared/commander.js';
import { context } from '../shared/context.js';
import { lifecycle } from '../shared/lifecycle.js';
import { UsageError } from '../../errors.js';
import { sandboxDir } from '../../home.js';
import type { ApiRecord, DeliveryRecord } from '../../core/log/records.js';
import { addServeOptions, type ServeOptions } from './serve-options.js';
import type { LineWriter, Output } from '../../ui/output.js';

export function registerServe(program: Command): Command {
  return addServeOptions(program.command('sandbox').description('a local Etsy: Open API v3 and OAuth with shop state, whose orders fire signed webhooks'))
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook sandbox --webhook http://127.0.0.1:3000/webhooks     then paste the ETSY_… lines into your app
  $ etsyhook sandbox order create --listing 1400000001 --pay      order.paid goes to your app
  $ etsyhook sandbox order ship 3100000001 --tracking-code 9400 --carrier usps
  $ etsyhook sandbox --json --retry-schedule 0,1500ms,3s | jq -c 'select(.kind=="delivery")'

State lives in $ETSYHOOK_HOME/sandbox/ and survives restarts. Control API: POST /_sandbox/orders,
/_sandbox/receipts/ID/{pay|ship|deliver|cancel}, /_sandbox/listings, /_sandbox/reset.`,
    )
    // A mistyped control command reaches this action as an argument: name it as unknown, not as one too many.
    .allowExcessArguments(true)
    .action(async (_o: object, cmd: Command) => {
      if (cmd.args.length > 0) throw new UsageError(`unknown command 'sandbox ${cmd.args[0]}'`, 'its commands are order, listing and reset (etsyhook sandbox --help)');
      const { opts, out } = context<ServeOptions>(cmd);
      await serve(opts, out);
    });
}

async function serve(o: ServeOptions, out: Output): Promise<void> {
  // NDJSON records go out in batches (a record per request, thousands a second under load); opened once the
  // sandbox is up, so a failure to start still gets its {"error"} on stdout.
  let lines: LineWriter | undefined;
  const data = (value: object): void => (lines ??= out.dataLines()).write(JSON.stringify(value));
  // Listening for the stop before anything starts: a signal during start-up still stops cleanly.
  const life = lifecycle();
  const counts = { api: 0, delivered: 0, failed: 0 };
  // Loaded here, not at the top: the control commands share this command's module and need none of it.
  const { startSandbox } = await import('../../sandbox/index.js');
  const sandbox = await startSandbox({
    dir: sandboxDir(),
    port: o.port,
    host: o.host,
    ...(o.publicUrl ? { publicUrl: o.publicUrl.href } : {}),
    ...(o.secret ? { secret: o.secret } : {}),
    webhooks: (o.webhook ?? []).map((u) => u.href),
    ...(o.retrySchedule ? { retrySchedule: o.retrySchedule } : {}),
    ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
    fresh: o.fresh === true,
    onRecord: (r) => {
      if (r.kind === 'api') counts.api++;
      else if (r.status === 'delivered') counts.delivered++;
      else counts.failed++;
      if (out.json) data(r);
      else render(out, r);
    },
    onWarning: (m) => out.warn(m),
  });
  if (out.json) {
    data(sandbox.info);
    lines?.flush();
  }
  const where = sandbox.origin === sandbox.listening ? '' : `, listening on ${sandbox.listening}`;
  out.info(`Etsy sandbox on ${sandbox.apiBase}${where} (not Etsy; local and throwaway). For your app:\n`);
  for (const [k, v] of Object.entries(sandbox.env)) out.info(`${k}=${v}`);
  const listing = sandbox.activeListings()[0];
  out.info(`\nOrders: etsyhook sandbox order create --listing ${listing?.listingId ?? 'ID'} --pay${listing ? `  (${listing.title}, ${listing.quantity} in stock)` : ''}. Ctrl-C to stop.`);
  await life.stopped;
  const pending = sandbox.pendingWebhooks();
  await sandbox.close();
  lines?.flush();
  out.info(`stopped: ${plural(counts.api, 'API request')}, ${plural(counts.delivered, 'webhook delivered', 'webhooks delivered')}, ${plural(counts.failed, 'failed attempt')}${pending > 0 ? `; ${plural(pending, 'webhook')} pending, resumed at the next start` : ''}`);
  life.end();
}

function render(out: Output, r: ApiRecord | DeliveryRecord): void {
  if (r.kind === 'api') return out.info(`${r.method} ${r.path} → ${r.httpStatus} (${r.ms} ms)`);
  const answer = r.httpStatus !== undefined ? String(r.httpStatus) : (r.error ?? 'no answer');
  out.info(`webhook ${r.webhookId ?? r.id} → ${r.target}: ${r.status} (${answer}, attempt ${r.attempt})`);
}
