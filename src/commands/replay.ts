// `etsyhook replay`: send stored events again, byte-exact or re-signed, and record every attempt.
import type { Command } from 'commander';
import { parseDurationMs, parseIntFlag, parseUrlFlag } from '../config.js';
import type { ReplaySource, ReplaySummary, Resign } from '../core/delivery/replay.js';
import type { Route } from '../core/delivery/routes.js';
import type { StoredEvent } from '../core/log/query.js';
import { openHistory, type History } from '../core/history/index.js';
import { OperationError, SilentExit, UsageError } from '../errors.js';
import { EXIT_INTERRUPTED } from './interrupt.js';
import type { Output } from '../ui/output.js';
import { attemptJson } from '../ui/present.js';
import { collect, context } from './common.js';
import { duration, plural, replayedElsewhere } from '../ui/words.js';
import type { FilterFlags, ParsedFilters } from './event-filters.js';
import { STATUS_HELP } from './flags.js';

/** Requests in flight at once: the same as `dev --forward-to` (core/forwarder.ts, not imported here: it loads undici). */
const DEFAULT_CONCURRENCY = 16;

interface ReplayFlags extends FilterFlags {
  failed?: boolean;
  to?: string;
  route?: string[];
  routes?: string;
  resign?: boolean;
  newId?: boolean;
  secret?: string;
  scheme?: string;
  dryRun?: boolean;
  concurrency?: string;
  timeout?: string;
  insecure?: boolean;
  queue?: string;
}

/** Above this many events, a terminal gets a progress bar instead of a line per event. */
const LINES_ON_A_TERMINAL = 20;

export function register(program: Command): void {
  program
    .command('replay')
    .description('send stored events again: byte-exact by default, or re-signed with a fresh timestamp')
    .argument('[ids...]', 'event ids (evt_…) or webhook-ids (msg_…), or unique prefixes of either; or select with the flags below')
    .option('--type <types>', 'every stored event of these types: names or globs, comma-separated', collect)
    .option('--since <when>', 'every stored event received within a duration (30m, 2h, 7d) or since a date')
    .option('--status <statuses>', `every stored event with this status (comma-separated): ${STATUS_HELP}`, collect)
    .option('--failed', 'every event whose delivery failed or went dead (same as --status failed,dead); with ids or routes, only the routes that failed')
    .option('--to <url>', "where to send (default: the event's recorded --forward-to, else http://127.0.0.1:5000/webhook)")
    .option('--route <GLOB=TARGET>', 'send to this route instead (repeatable); with --failed, a route the event already delivered on is skipped', collect)
    .option('--routes <file>', "send by these routes (YAML or JSON, as dev's); the same file lets --failed re-run Slack routes")
    .option('--resign', 'sign again with a fresh timestamp and the current secret, keeping webhook-id')
    .option('--new-id', 'with --resign: a fresh webhook-id too (so a deduplicating receiver takes it again)')
    .option('--secret <secret>', 'with --resign: signing secret (default: ETSY_WEBHOOK_SECRET, else the stored one)')
    .option('--scheme <scheme>', "with --resign: standard or legacy (default: the scheme the event arrived with)")
    .option('--dry-run', 'list what would be sent, send nothing')
    .option('--concurrency <n>', 'requests in flight at once (as dev --forward-to)', String(DEFAULT_CONCURRENCY))
    .option('--timeout <duration>', 'per-request timeout, e.g. 10s', '30s')
    .option('--insecure', 'accept a self-signed certificate on an https target')
    .option('--queue <url>', 'replay from the Redis history serve and worker keep, recording attempts there (env ETSYHOOK_QUEUE)')
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
    const replay = await import('../core/delivery/replay.js');
    const { planReplay } = await import('../core/delivery/route-replay.js');
    // One item per event, or per event and route for events dispatched by routes.
    const plan = planReplay(events, { ...(p.routes ? { routes: p.routes } : {}), onlyFailed: opts.failed ?? false, ...(p.to === undefined ? {} : { to: p.to }) });
    if (plan.length === 0) {
      out.info('nothing to replay: no route of the selected events matches');
      await printNothingToReplay(out);
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
    const { describeReplayMode } = await import('../ui/replay-mode.js');
    const hasWebhookIds = events.some((ev) => ev.record.webhookId !== undefined || ev.record.headers['webhook-id'] !== undefined);
    const mode = describeReplayMode(p.resign, p.secretOrigin, hasWebhookIds, plan.map((item) => item.route?.target.kind ?? 'http'));
    const targets = [...new Set(plan.map(targetOf))];
    const where = targets.length === 1 ? targets[0]! : `${targets.length} targets`;
    if (opts.dryRun) return printDryRun(requests, mode, where, out);
    if (!p.resign) warnStale(events, requests.length, replay.signatureAge, out);
    out.info(`replaying ${plural(requests.length, 'event')} ${mode} to ${where}`);
    const sent = await sendAll(requests, { ...p, insecure: opts.insecure ?? false, manyTargets: targets.length > 1, history }, out);
    renderSummary(sent, { mode, where, to: p.to, resign: p.resign }, out);
  } finally {
    // Closed once: after sending, sendAll has closed it already (and said whether that failed).
    await history.close().catch(() => {});
  }
}

interface ReplayParsed {
  filters: Omit<ParsedFilters, 'warnings'>;
  to: string | undefined;
  routes: Route[] | undefined;
  concurrency: number;
  timeoutMs: number;
  resign: Resign | undefined;
  secretOrigin: string;
  queue: string | undefined;
}

/** Every flag validated before the store is read. */
async function parseReplay(ids: string[], opts: ReplayFlags, out: Output): Promise<ReplayParsed> {
  const f = await import('./event-filters.js');
  const filters = f.parseFilters(opts, out);
  if (opts.failed && filters.statuses.length > 0) throw new UsageError('--failed and --status cannot be combined', '--failed is --status failed,dead');
  if (opts.failed) filters.statuses = ['failed', 'dead'];
  const byFilter = filters.types.length > 0 || filters.statuses.length > 0 || filters.since !== undefined;
  // Ids with --failed: those events, only on the routes that failed.
  const idsOnFailedRoutes = ids.length > 0 && opts.failed === true && filters.types.length === 0 && filters.since === undefined;
  if (ids.length > 0 && byFilter && !idsOnFailedRoutes) throw new UsageError('name events by id or select them with --type/--since/--status/--failed, not both');
  if (ids.length === 0 && !byFilter) {
    throw new UsageError('which events? name ids, or select with --type, --since, --status or --failed', 'see etsyhook events list');
  }
  const to = opts.to === undefined ? undefined : parseUrlFlag('--to', opts.to).href;
  let routes: import('../core/delivery/routes.js').Route[] | undefined;
  if ((opts.route?.length ?? 0) > 0 || opts.routes !== undefined) {
    if (to !== undefined) throw new UsageError('--to and --route/--routes cannot be combined', "--to URL is --route '*=URL'");
    const { routesFromOptions } = await import('../core/delivery/routes.js');
    const set = routesFromOptions({ ...(opts.route ? { route: opts.route } : {}), ...(opts.routes !== undefined ? { routes: opts.routes } : {}) });
    for (const w of set.warnings) out.warn(w);
    routes = set.routes;
  }
  const concurrency = parseIntFlag('--concurrency', opts.concurrency, { min: 1, max: 256 }) ?? DEFAULT_CONCURRENCY;
  const timeoutMs = parseDurationMs('--timeout', opts.timeout ?? '30s');
  if (timeoutMs <= 0) throw new UsageError(`--timeout must be more than zero, got '${opts.timeout}'`);
  if (!opts.resign && (opts.newId || opts.secret !== undefined || opts.scheme !== undefined)) {
    throw new UsageError(`${opts.newId ? '--new-id' : opts.secret !== undefined ? '--secret' : '--scheme'} only applies with --resign`);
  }
  let resign: import('../core/delivery/replay.js').Resign | undefined;
  let secretOrigin = '';
  if (opts.resign) {
    const input = await import('./signing-input.js');
    const scheme = input.parseScheme(opts.scheme);
    const secret = await input.resolveSecret(opts.secret);
    if (scheme !== 'legacy') input.checkSecretFormat(secret, 'standard');
    secretOrigin = secret.origin;
    resign = { secret: secret.value, ...(scheme === undefined ? {} : { scheme }), newId: opts.newId ?? false };
  }

  const queue = (await import('./queue-options.js')).queueUrl(opts.queue);
  return { filters, to, routes, concurrency, timeoutMs, resign, secretOrigin, queue };
}

/** The events to replay, oldest first, from the history (which keeps their attempts); undefined: nothing to do. */
async function selectEvents(ids: string[], p: ReplayParsed, out: Output): Promise<{ events: StoredEvent[]; history: History } | undefined> {
  const history = await openHistory({ queue: p.queue });
  try {
    const events = await selectFrom(history, ids, p.filters, out);
    if (events !== undefined) return { events, history };
  } catch (err) {
    await history.close();
    throw err;
  }
  await history.close();
  return undefined;
}

async function selectFrom(history: History, ids: string[], filters: ReplayParsed['filters'], out: Output): Promise<StoredEvent[] | undefined> {
  const f = await import('./event-filters.js');
  if (await history.isEmpty()) {
    out.info(f.emptyStoreMessage(history));
    if (ids.length > 0) throw new OperationError(`no stored event matches '${ids[0]}'`);
    await printNothingToReplay(out);
    return;
  }
  const query = await import('../core/log/query.js');
  const bad = f.badLineReporter(out, history.name);
  let events: StoredEvent[];
  if (ids.length > 0) {
    const matches = await history.find([...new Set(ids)], { onBadLine: bad.onBadLine });
    bad.report();
    const problems: string[] = [];
    const resolved = matches.flatMap((m) => {
      try {
        return [query.resolveRef(m)];
      } catch (err) {
        problems.push((err as Error).message);
        return [];
      }
    });
    if (problems.length > 0) {
      throw new OperationError(problems.join('; '), { hint: 'nothing was sent; see the ids with `etsyhook events list`' });
    }
    for (const m of matches) {
      if (m.others !== undefined && m.event !== undefined) {
        out.info(`webhook-id ${m.event.record.webhookId} was received ${m.others.length + 1} times: replaying ${m.event.record.id} (${m.event.record.status}), not ${m.others.join(', ')}`);
      }
    }
    const seen = new Set<string>();
    events = resolved.filter((e) => !seen.has(e.record.id) && seen.add(e.record.id)).map((ev) => withTarget(history, ev));
  } else {
    // Replaying rejected or duplicate requests is opt-in: only when --status names that verdict.
    const verdictsNamed = filters.statuses.filter((s) => s === 'rejected' || s === 'duplicate' || s === 'ignored');
    const filter = { types: filters.types, statuses: filters.statuses, verdicts: ['accepted' as const, ...verdictsNamed], ...(filters.since === undefined ? {} : { since: filters.since }) };
    events = [];
    // Only what sending needs: the request (and where it went), how many attempts it has had, and its attempts per
    // route (what replay --failed re-runs).
    for await (const ev of history.events(filter, { onBadLine: bad.onBadLine })) {
      events.push({ ...withTarget(history, ev), deliveries: ev.deliveries.filter((d) => d.route !== undefined) });
    }
    bad.report();
    events.reverse(); // oldest first
  }
  if (events.length === 0) {
    out.info('nothing to replay: no stored events match');
    await printNothingToReplay(out);
    return;
  }
  return events;
}

/** The event with its default target filled in where the history knows it (a worker's --forward-to). */
function withTarget(history: History, ev: StoredEvent): StoredEvent {
  if (ev.record.forwardTo !== undefined) return ev;
  const target = history.replayTarget(ev);
  return target === undefined ? ev : { ...ev, record: { ...ev.record, forwardTo: target } };
}

function printDryRun(requests: ReplaySource, mode: string, where: string, out: Output): void {
    for (let i = 0; i < requests.length; i++) {
      const r = requests.at(i);
      if (out.json) {
        out.data({ id: r.event.record.id, type: r.event.record.type ?? null, target: r.route?.targetLabel ?? r.target, route: r.route?.label ?? null, webhookId: r.webhookId ?? null, resigned: r.resigned, dryRun: true });
      } else {
        out.line(`${r.event.record.id}  ${(r.event.record.type ?? '(unknown type)').padEnd(19)}  → ${r.route?.targetLabel ?? r.target}`);
      }
    }
    out.info(`dry run: would replay ${plural(requests.length, 'event')} ${mode} to ${where}; nothing was sent`);
}

function warnStale(events: StoredEvent[], count: number, signatureAge: (r: StoredEvent['record'], now: number) => number | undefined, out: Output): void {
  const now = Math.floor(Date.now() / 1000);
  const stale = events.filter((ev) => (signatureAge(ev.record, now) ?? 0) > 300).length;
  if (stale > 0) {
    out.warn(
      `${stale === count ? (stale === 1 ? 'the event was' : `all ${stale} were`) : `${stale} of ${count} were`} signed more than 5 minutes ago: ` +
        'a verifying receiver will reject the timestamp; add --resign to sign again',
    );
  }
}

interface Sent {
  summary: ReplaySummary;
  closeError: Error | undefined;
  failures: string[];
  progress: boolean;
}

/** Send every request, a line (or a progress bar) per result; Ctrl-C stops at once with what was done. */
async function sendAll(
  requests: ReplaySource,
  o: ReplayParsed & { insecure: boolean; manyTargets: boolean; history: History },
  out: Output,
): Promise<Sent> {
  const { concurrency, timeoutMs, history } = o;
  const replay = await import('../core/delivery/replay.js');
  const { Deliverer } = await import('../core/delivery/http.js');
  const { formatEventLine } = await import('../ui/event-line.js');
  const { isCI } = await import('../ui/output.js');
  const { onInterrupt } = await import('./interrupt.js');
  const { isDuplicateAnswer } = await import('../core/delivery/answer.js');
  const sender = new Deliverer({ connections: concurrency, insecure: o.insecure });
  const progress = !out.json && requests.length > LINES_ON_A_TERMINAL && Boolean(process.stderr.isTTY) && !isCI();
  const interrupt = onInterrupt();
  // Without a terminal, a long replay says how far it got every few seconds (stderr), so CI logs are not silent.
  const started = Date.now();
  const ticker = progress ? undefined : setInterval(() => out.info(`... replayed ${done}/${requests.length} in ${duration(Date.now() - started)}`), PROGRESS_EVERY_MS);
  // One line redrawn in place (not a spinner library: those misbehave on a terminal that reports 0 columns).
  const draw = (text: string): void => void process.stderr.write(`\r${text}\x1b[K`);
  if (progress) draw(`replaying ${bar(0, requests.length)} 0/${requests.length}`);
  // One line per event on stdout, written in batches: 10,000 replays are not 10,000 writes.
  const lines = out.dataLines();
  let done = 0;
  let lastDraw = 0;
  const failures: string[] = [];
  let summary: import('../core/delivery/replay.js').ReplaySummary;
  let closeError: Error | undefined;
  try {
    summary = await replay.replayEvents(requests, {
      sender,
      sink: { attempt: (record) => history.recordAttempt(record) },
      concurrency,
      timeoutMs,
      insecure: o.insecure,
      signal: interrupt.signal,
      onResult: ({ request, record }) => {
        done++;
        if (out.json) {
          lines.write(JSON.stringify({ ...attemptJson(record, { type: request.event.record.type, webhookId: request.webhookId }), resigned: request.resigned, duplicate: isDuplicateAnswer(record.httpStatus, record.response?.body) }));
          return;
        }
        const type = request.event.record.type;
        const lineOptions = { target: o.manyTargets, ...(type === undefined ? {} : { type }) };
        if (!progress) {
          lines.write(formatEventLine(record, out.cOut, lineOptions));
          return;
        }
        if (record.status !== 'delivered' && failures.length < 10) failures.push(formatEventLine(record, out.c, lineOptions));
        const t = Date.now();
        if (t - lastDraw > 100 || done === requests.length) {
          lastDraw = t;
          draw(`replaying ${bar(done, requests.length)} ${done}/${requests.length}`);
        }
      },
    });
  } finally {
    clearInterval(ticker);
    interrupt.dispose();
    lines.flush();
    if (progress) process.stderr.write('\r\x1b[K');
    await sender.close();
    // The last attempts are synced here; a history that fails now still replayed everything: say so, below.
    closeError = await history.close().then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
  }
  return { summary: summary!, closeError, failures, progress };
}

function renderSummary(sent: Sent, c: { mode: string; where: string; to: string | undefined; resign: Resign | undefined }, out: Output): void {
  const { summary, closeError, failures, progress } = sent;
  const { mode, where, to, resign } = c;
  for (const line of failures) out.info(line);
  if (progress && summary.failed > failures.length) {
    out.info(out.c.dim(`… ${summary.failed - failures.length} more failed: etsyhook events list --status failed`));
  }

  const rate = summary.count >= 100 && summary.elapsedMs > 0 ? `, ${Math.round((summary.count / summary.elapsedMs) * 1000)}/s` : '';
  const reasons = Object.entries(summary.reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n}× ${reason}`)
    .join(', ');
  const counted = `${summary.delivered} delivered${summary.duplicates > 0 ? `, ${summary.duplicates} duplicate` : ''}, ${summary.failed} failed${reasons === '' ? '' : ` (${reasons})`}`;
  const times = summary.ms === null ? '' : `; p50 ${summary.ms.p50} ms, p99 ${summary.ms.p99} ms`;
  const storeError = summary.storeError ?? closeError;
  if (summary.interrupted) {
    if (out.json) out.data({ kind: 'summary', ...summaryJson(summary) });
    out.info(`interrupted: replayed ${summary.count} of ${plural(summary.planned, 'event')} ${mode} in ${duration(summary.elapsedMs)}: ${counted}${times}`);
    if (storeError !== undefined) out.warn(`some attempts could not be recorded in the store: ${storeError.message}`);
    throw new SilentExit(EXIT_INTERRUPTED);
  }
  const line = `replayed ${plural(summary.count, 'event')} ${mode} in ${duration(summary.elapsedMs)}${rate}: ${counted}${times}`;
  if (summary.failed === 0 && summary.duplicates === 0) out.success(line);
  else out.info(line);
  if (summary.elsewhere > 0) out.info(replayedElsewhere(summary.elsewhere));
  if (summary.duplicates > 0) {
    const hint = resign?.newId ? 'they were sent with new webhook-ids: is the receiver de-duplicating on something else?' : 'add --resign --new-id to send them as new events';
    out.warn(`${summary.duplicates === 1 ? '1 replay was' : `${summary.duplicates} replays were`} answered as a duplicate (the receiver already had the webhook-id, and did not take it again): ${hint}`);
  }
  if (storeError !== undefined) out.warn(`some attempts could not be recorded in the store: ${storeError.message}`);
  if (summary.failed > 0) {
    const refused = summary.reasons['connection refused'] ?? 0;
    const hint =
      refused === summary.failed
        ? `nothing is listening at ${where}: ${to === undefined ? 'start your app, or pass --to URL' : 'is your app running?'}`
        : 'see `etsyhook events show <id>` for the answers';
    throw new OperationError(`${summary.failed} of ${plural(summary.count, 'replay')} failed`, { hint });
  }
}

/** Progress lines without a terminal: this often. */
const PROGRESS_EVERY_MS = 2_000;

/** --json gets the empty summary when there is nothing to do (as events list --json gets []), never nothing. */
async function printNothingToReplay(out: Output): Promise<void> {
  const { emptyReplaySummary } = await import('../core/delivery/replay.js');
  if (out.json) out.data({ kind: 'summary', ...summaryJson(emptyReplaySummary()) });
}

function summaryJson(s: import('../core/delivery/replay.js').ReplaySummary): Record<string, unknown> {
  return {
    interrupted: s.interrupted,
    planned: s.planned,
    count: s.count,
    delivered: s.delivered,
    duplicates: s.duplicates,
    failed: s.failed,
    httpStatuses: s.statuses,
    reasons: s.reasons,
    ms: s.ms,
    elapsedMs: s.elapsedMs,
  };
}

function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / total) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

