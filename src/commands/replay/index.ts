// `etsyhook replay`: send stored events again, byte-exact or re-signed, and record every attempt.
import type { Command } from '../shared/commander.js';
import type { ReplaySource } from '../../core/delivery/replay.js';
import { lifecycle } from '../shared/lifecycle.js';
import type { Output } from '../../ui/output.js';
import { context } from '../shared/context.js';
import { plural } from '../../format.js';
import { DEFAULT_CONCURRENCY, DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_LOCAL_TARGET } from '../../core/defaults.js';
import { queueOption } from '../shared/queue.js';
import { formatDuration } from '../../format.js';
import { addFilterOptions } from '../shared/filters.js';
import { durationOption, intOption, repeatOption, schemeOption, secretOption, urlOption } from '../shared/flags.js';
import { parseReplay, type ReplayFlags } from './options.js';
import { selectEvents } from './select.js';
import { sendAll } from './send.js';
import { printDryRun, printNothingToReplay, renderSummary, warnStale } from './render.js';
import { describeReplayMode } from '../../ui/replay-mode.js';
import { planReplay } from '../../core/delivery/route-replay.js';
import * as replay from '../../core/delivery/replay.js';

export function register(program: Command): void {
  const cmd = program
    .command('replay')
    .description('send stored events again: byte-exact by default, or re-signed with a fresh timestamp')
    .argument('[ids...]', 'event ids (evt_…) or webhook-ids (msg_…), or unique prefixes of either; or select with the flags below');
  addFilterOptions(cmd, {
    type: 'every stored event of these types: names or globs, comma-separated',
    since: 'every stored event received within a duration (30m, 2h, 7d) or since a date',
    status: 'every stored event with this status',
  })
    .option('--failed', 'every event whose delivery failed or went dead (same as --status failed,dead); with ids or routes, only the routes that failed')
    .addOption(urlOption('--to <url>', `where to send (default: the event's recorded --forward-to, else ${DEFAULT_LOCAL_TARGET})`))
    .addOption(repeatOption('--route <GLOB=TARGET>', 'send to this route instead (repeatable); with --failed, a route the event already delivered on is skipped'))
    .option('--routes <file>', "send by these routes (YAML or JSON, as dev's); the same file lets --failed re-run Slack routes")
    .option('--resign', 'sign again with a fresh timestamp and the current secret, keeping webhook-id')
    .option('--new-id', 'with --resign: a fresh webhook-id too (so a deduplicating receiver takes it again)')
    .addOption(secretOption('--secret <secret>', 'with --resign: signing secret (default: ETSY_WEBHOOK_SECRET, else the stored one)'))
    .addOption(schemeOption('--scheme <scheme>', 'with --resign: standard or legacy (default: the scheme the event arrived with)'))
    .option('--dry-run', 'list what would be sent, send nothing')
    .addOption(intOption('--concurrency <n>', 'requests in flight at once (as dev --forward-to)', { min: 1, max: 256 }).default(DEFAULT_CONCURRENCY))
    .addOption(durationOption('--timeout <duration>', 'per-request timeout, e.g. 10s', { min: 1 }).default(DEFAULT_DELIVERY_TIMEOUT_MS, formatDuration(DEFAULT_DELIVERY_TIMEOUT_MS)))
    .option('--insecure', 'accept a self-signed certificate on an https target')
    .addOption(queueOption('replay from the Redis history serve and worker keep, recording attempts there (env ETSYHOOK_QUEUE)'))
    .addHelpText(
      'after',
      `
Selecting by flags replays accepted events only, oldest first, unless --status names another verdict.
Byte-exact replays carry the original signature, whose timestamp a verifying receiver rejects after 5 minutes:
use --resign for those. Each attempt is recorded (events show lists it, marked replay). Replayed requests carry
x-forwarded-for and x-etsyhook-attempt as forwarded ones do, and x-etsyhook-replay: 1. An answer saying
{"status":"duplicate"} (the receiver already had the webhook-id) is counted apart: --resign --new-id gets past it.
Ctrl-C stops at once and prints the summary so far (exit 130).

Examples:
  $ etsyhook replay evt_4k2j                               byte-exact, to where it was forwarded
  $ etsyhook replay msg_2a7Xk9                             by webhook-id, as your app's logs show it
  $ etsyhook replay --failed --resign --to http://localhost:3000/webhooks
  $ etsyhook replay --type 'order.*' --since 1h --dry-run
  $ etsyhook replay --failed --routes routes.yaml              only the routes that failed, per event
  $ etsyhook replay --since 30m --json | jq -c 'select(.status != "delivered")'

Exit codes: 0 every replay got a 2xx, 1 any did not, 2 usage, 130 interrupted.`,
    )
    .action(async (ids: string[], _flags: ReplayFlags, cmd: Command) => {
      const { opts, out } = context<ReplayFlags>(cmd);
      await runReplay(ids, opts, out);
    });
}

async function runReplay(ids: string[], opts: ReplayFlags & { json?: boolean }, out: Output): Promise<void> {
  const p = await parseReplay(ids, opts, out);
  const selected = await selectEvents(ids, p, out);
  if (selected === undefined) return;
  const { events, history } = selected;
  try {
    // One item per event, or per event and route for events dispatched by routes.
    const plan = planReplay(events, { ...(p.routes ? { routes: p.routes } : {}), onlyFailed: opts.failed ?? false, ...(p.to === undefined ? {} : { to: p.to }) });
    if (plan.length === 0) {
      out.info('nothing to replay: no route of the selected events matches');
      printNothingToReplay(out);
      return;
    }
    const targetOf = (item: (typeof plan)[number]): string => item.route?.targetLabel ?? replay.replayTarget(item.event.record, p.to);
    const requests: ReplaySource = {
      length: plan.length,
      at: (i) => {
        const item = plan[i]!;
        const target = item.route?.target.kind === 'http' ? item.route.target.url : targetOf(item);
        const request = replay.buildReplayRequest(item.event, target, p.resign, Math.floor(Date.now() / 1000));
        return item.route === undefined ? request : { ...request, route: item.route, attempt: item.attempt };
      },
    };
    const hasWebhookIds = events.some((ev) => ev.record.webhookId !== undefined || ev.record.headers['webhook-id'] !== undefined);
    const mode = describeReplayMode(p.resign, p.secretOrigin, hasWebhookIds, plan.map((item) => item.route?.target.kind ?? 'http'));
    const targets = [...new Set(plan.map(targetOf))];
    const where = targets.length === 1 ? targets[0]! : `${targets.length} targets`;
    if (opts.dryRun) return printDryRun(requests, mode, where, out);
    if (!p.resign) warnStale(events, requests.length, replay.signatureAge, out);
    out.info(`replaying ${plural(requests.length, 'event')} ${mode} to ${where}`);
    const life = lifecycle();
    const sent = await sendAll(requests, { ...p, insecure: opts.insecure ?? false, manyTargets: targets.length > 1, history, life }, out);
    renderSummary(sent, { mode, where, to: p.to, resign: p.resign }, out, life);
  } finally {
    // Closed once: after sending, sendAll has closed it already (and said whether that failed).
    await history.close().catch(() => {});
  }
}
