// `etsyhook send <event-type>`: build, sign and POST a test event, print the answer; `--count` for a batch.
import type { Command } from 'commander';
import { collect, context } from './common.js';
import { bytesInWords, duration, plural } from '../ui/words.js';
import type { Output } from '../ui/output.js';
import type { BatchSummary, Delivery, Outcome, PreparedEvent } from '../core/delivery/sender.js';
import type { EventType } from '../core/events/catalog.js';
import type { JsonObject } from '../core/events/fixtures.js';
import type { Scheme } from '../core/receive/signature.js';

export const DEFAULT_TARGET = 'http://127.0.0.1:5000/webhook';
const DEFAULT_TIMEOUT = '30s';
const SHOWN_BODY_CHARS = 2000;

interface RawSendOptions {
  to?: string;
  secret?: string;
  scheme?: string;
  set?: string[];
  data?: string;
  shop?: string;
  id?: string;
  timestamp?: string;
  expect?: string;
  timeout?: string;
  count?: string;
  concurrency?: string;
}

export interface StatusExpectation {
  text: string;
  matches(status: number): boolean;
}

interface SendOptions {
  type: EventType;
  /** False for a type outside the catalog (allowed with --data). */
  known: boolean;
  url: URL;
  secret: string;
  secretOrigin: string;
  scheme: Scheme;
  sets: string[];
  /** `--data` bytes, and where they came from. */
  data: { bytes: Buffer; label: string } | undefined;
  shopId: number | undefined;
  id: string | undefined;
  timestamp: number | undefined;
  expect: StatusExpectation | undefined;
  timeoutMs: number;
  count: number | undefined;
  concurrency: number;
}

export function register(program: Command): void {
  program
    .command('send')
    .description('build, sign and POST a test event to a receiver, and print its answer')
    .argument('<event-type>', 'an event type, e.g. order.paid (see `etsyhook events types`)')
    .option('--to <url>', `where to POST (default: ${DEFAULT_TARGET}, where \`etsyhook dev\` listens)`)
    .option('--secret <secret>', 'signing secret (default: ETSY_WEBHOOK_SECRET, else the stored one)')
    .option('--scheme <scheme>', 'standard (webhook-* headers, what Etsy sends) or legacy (X-Etsy-Signature) (default: standard)')
    .option('--set <key=value>', 'override a fixture field; dot paths; numbers, booleans, null parsed (repeatable)', collect)
    .option('--data <file>', 'send this body (a FILE, or - for stdin) byte for byte instead of a fixture; with --set, edit its JSON')
    .option('--shop <id>', 'shop id for the fixture')
    .option('--id <id>', 'webhook-id to send (default: a fresh msg_… id)')
    .option('--timestamp <unix>', 'sign with this timestamp, e.g. to test stale-timestamp rejection (default: now)')
    .option('--expect <status>', 'exit 1 unless the answer matches: 200, 2xx, 401, or a list such as 200,202')
    .option('--timeout <duration>', `give up waiting for an answer after this long (default: ${DEFAULT_TIMEOUT})`)
    .option('--count <n>', 'send N distinct events (fresh fixture and webhook-id each) and print a summary')
    .option('--concurrency <n>', 'with --count: requests in flight at once (default: 1)')
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook send order.paid                                   to \`etsyhook dev\` on ${DEFAULT_TARGET}
  $ etsyhook send receipt.created --to http://localhost:3000/hooks --scheme legacy --set resource_id=123
  $ etsyhook send order.paid --set shop_id=42 --set meta.retry=true --expect 2xx --json | jq .response
  $ etsyhook send order.paid --data broken.json --expect 400   test your 400 path (sent byte for byte)
  $ etsyhook send order.shipped --count 1000 --concurrency 20 --expect 2xx

The body, status and time of the answer go to stderr (--verbose: the headers both ways too); with --json one
object goes to stdout:
  {event, request: {url, headers}, response: {status, httpStatus, ms, headers, body, duplicate}}   (with --count: a summary)
A 2xx saying {"status":"duplicate"} means the receiver already had the webhook-id: counted apart from delivered.
Ctrl-C stops at once and prints what was done so far (exit 130). The secret itself is never printed.
Exit codes: 0 sent (and matched --expect), 1 no answer or another status, 2 usage, 130 interrupted.`,
    )
    .action(async (type: string, _raw: RawSendOptions, cmd: Command) => {
      const { opts, out } = context<RawSendOptions>(cmd);
      const options = await validate(type, opts, out);
      if (options.count === undefined) await sendOne(options, out);
      else await sendMany(options, options.count, out);
    });
}

async function validate(typeName: string, raw: RawSendOptions, out: Output): Promise<SendOptions> {
  const { UsageError } = await import('../errors.js');
  const { closeMatches, deprecationWarning, findEventType, replacementOf } = await import('../core/events/catalog.js');
  const { parseDurationMs, parseIntFlag, parseUrlFlag } = await import('../config.js');
  const input = await import('./signing-input.js');

  const given = typeName.trim();
  const deprecated = deprecationWarning(given);
  if (deprecated !== undefined) out.warn(deprecated);
  const name = replacementOf(given) ?? given;
  const known = findEventType(name);
  if (known === undefined) {
    const close = closeMatches(name);
    const suggestion = close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : '';
    // With a body of your own any type goes (Etsy adds types); without one there is no fixture to build.
    if (raw.data === undefined || !/^[\w.-]+$/.test(name)) {
      throw new UsageError(`unknown event type '${typeName}'${suggestion}`, '`etsyhook events types` lists them all; any other type can be sent with --data FILE');
    }
    out.warn(`'${name}' is not an event type etsyhook knows${suggestion}; sending it anyway`);
  }
  const type: EventType = known ?? { name, source: 'etsy', description: '' };
  const url = parseUrlFlag('--to', raw.to ?? DEFAULT_TARGET);
  const scheme = input.parseScheme(raw.scheme) ?? 'standard';
  const sets = raw.set ?? [];
  for (const s of sets) checkSet(s, UsageError);
  const shopId = parseIntFlag('--shop', raw.shop, { min: 1 });
  const id = input.parseWebhookId(raw.id);
  const timestamp = input.parseTimestamp(raw.timestamp);
  const expect = raw.expect === undefined ? undefined : parseExpect(raw.expect, UsageError);
  const timeoutMs = parseDurationMs('--timeout', raw.timeout ?? DEFAULT_TIMEOUT);
  if (timeoutMs <= 0) throw new UsageError(`--timeout must be more than 0, got '${raw.timeout}'`);
  const count = parseIntFlag('--count', raw.count, { min: 1, max: 1_000_000 });
  const concurrency = parseIntFlag('--concurrency', raw.concurrency, { min: 1, max: 1000 });

  if (id !== undefined && scheme === 'legacy') {
    throw new UsageError('--id sets the webhook-id header, which the legacy scheme does not send', 'drop --id, or use --scheme standard');
  }
  if (id !== undefined && count !== undefined) {
    throw new UsageError('--id cannot be combined with --count: each event of a batch gets its own webhook-id');
  }
  if (concurrency !== undefined && count === undefined) {
    throw new UsageError('--concurrency only applies with --count', 'e.g. --count 100 --concurrency 10');
  }
  if (raw.data !== undefined && shopId !== undefined) {
    throw new UsageError('--shop applies to the built fixture, not to a --data body', 'use --set shop_id=N to change the body\'s shop_id');
  }

  let data: SendOptions['data'];
  if (raw.data !== undefined) {
    const source = input.bodySource(raw.data);
    data = { bytes: await input.readSource(source, '--data'), label: source.label };
  }

  const secret = await input.resolveSecret(raw.secret);
  input.checkSecretFormat(secret, scheme);
  out.debug(`signing with the ${scheme} scheme and the secret from ${secret.origin}`);

  return {
    type,
    known: known !== undefined,
    url,
    secret: secret.value,
    secretOrigin: secret.origin,
    scheme,
    sets,
    data,
    shopId,
    id,
    timestamp,
    expect,
    timeoutMs,
    count,
    concurrency: concurrency ?? 1,
  };
}

/** Reject a malformed `--set` before anything is sent (the catalog's parser knows the syntax). */
function checkSet(assignment: string, UsageErrorClass: new (m: string, h?: string) => Error): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageErrorClass(`--set expects key=value (dot paths allowed, e.g. shop_id=123), got '${assignment}'`);
  if (assignment.slice(0, eq).split('.').some((p) => p.trim() === '')) {
    throw new UsageErrorClass(`--set has an empty key segment in '${assignment.slice(0, eq)}'`, 'write nested keys as a.b.c=value');
  }
}

/** `200`, `2xx`, `40x`, or a comma-separated list of them. */
export function parseExpect(raw: string, UsageErrorClass: new (m: string, h?: string) => Error): StatusExpectation {
  const parts = raw.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  if (parts.length === 0 || !parts.every((p) => /^[1-5][0-9x]{2}$/.test(p) && !/^.x\d$/.test(p))) {
    throw new UsageErrorClass(`--expect must be a status such as 200, a class such as 2xx, or a list such as 200,202; got '${raw}'`);
  }
  const patterns = parts.map((p) => new RegExp(`^${p.replace(/x/g, '\\d')}$`));
  return { text: parts.join(','), matches: (status) => patterns.some((r) => r.test(String(status))) };
}

async function sendOne(options: SendOptions, out: Output): Promise<void> {
  const { prepareEvent, Sender } = await import('../core/delivery/sender.js');
  const { OperationError, SilentExit } = await import('../errors.js');
  const { onInterrupt, EXIT_INTERRUPTED } = await import('./interrupt.js');
  const event = prepareEvent(await eventSpec(options, out));
  const request = `${event.type}${event.id ? ` [${event.id}]` : ''} POST ${options.url.href} (${event.scheme})`;
  // The request line is printed with its answer, so a failure stays one line; a terminal gets a spinner meanwhile.
  const spinner = await out.spinner(request);
  const sender = await Sender.open({ url: options.url, timeoutMs: options.timeoutMs, connections: 1 });
  const interrupt = onInterrupt();
  let delivery: Delivery;
  try {
    delivery = await sender.post(event, interrupt.signal);
  } catch (err) {
    spinner.stop();
    if (!interrupt.signal.aborted) throw err;
    // Ctrl-C while waiting for an app that does not answer: say so, and what --json readers get.
    if (out.json) out.data({ ...jsonRequest(event, options.url), response: null, interrupted: true });
    out.info(`--> ${request}`);
    out.info(`<-- ${(err as Error).message}`);
    throw new SilentExit(EXIT_INTERRUPTED);
  } finally {
    spinner.stop();
    interrupt.dispose();
    await sender.close();
  }
  if (out.json) out.data({ ...jsonRequest(event, options.url), response: jsonResponse(delivery) });
  out.info(`--> ${request}`);
  if (out.verbose) out.info(headerLines('>', event.headers));
  out.info(`<-- [${colourStatus(out, delivery.status)}] ${delivery.ms} ms${delivery.duplicate ? `  ${out.c.yellow('duplicate')}` : ''}`);
  if (out.verbose) out.info(headerLines('<', delivery.headers));
  if (delivery.body !== '') out.info(shorten(delivery.body, delivery.truncated));
  if (delivery.duplicate) {
    out.info(out.c.yellow(`the receiver already had webhook-id ${event.id ?? '(none)'}: acknowledged, not taken again; ${NEW_ID_HINT}`));
  }
  if (delivery.status === 401) out.info(secretHint(options));
  if (options.expect !== undefined && !options.expect.matches(delivery.status)) {
    throw new OperationError(`expected status ${options.expect.text}, got ${delivery.status}`);
  }
}

/** How to get past a receiver's de-duplication with send: it only happens with a webhook-id given by --id. */
const NEW_ID_HINT = 'drop --id (each send then gets a new webhook-id) to have it taken as a new event';

/** A 401 is almost always the wrong secret: say which one was used (never the secret itself). */
function secretHint(options: SendOptions): string {
  return `the receiver rejected the request (401): it was signed with the secret from ${options.secretOrigin}; ` +
    'is it the one the receiver uses? (`etsyhook dev --print-secret` shows dev\'s)';
}

/** Progress on stderr every few seconds when no spinner shows it (not a terminal), so a long CI run is not silent. */
const PROGRESS_EVERY_MS = 2_000;

async function sendMany(options: SendOptions, count: number, out: Output): Promise<void> {
  const { prepareEvent, Sender, sendBatch, summarise } = await import('../core/delivery/sender.js');
  const { OperationError, SilentExit } = await import('../errors.js');
  const { onInterrupt, EXIT_INTERRUPTED } = await import('./interrupt.js');
  const spec = await eventSpec(options, out);
  // One shop for the whole batch, so the events look like one shop's traffic.
  const { randomShopId } = await import('../core/events/fixtures.js');
  const shopId = spec.shopId ?? (spec.data === undefined && spec.base === undefined ? randomShopId() : undefined);
  const make = (): PreparedEvent => prepareEvent({ ...spec, ...(shopId === undefined ? {} : { shopId }) });

  const request = `${count} × ${options.type.name} POST ${options.url.href} (${options.scheme}, concurrency ${options.concurrency})`;
  const spinner = await out.spinner(request);
  const sender = await Sender.open({ url: options.url, timeoutMs: options.timeoutMs, connections: options.concurrency });
  const interrupt = onInterrupt();
  let latest: readonly Outcome[] = [];
  const started = Date.now();
  const progress = out.interactiveSpinner
    ? undefined
    : setInterval(() => out.info(`... ${progressText(summarise(latest, options.concurrency, Date.now() - started), count)}`), PROGRESS_EVERY_MS);
  let result: Awaited<ReturnType<typeof sendBatch>>;
  try {
    result = await sendBatch(sender, make, count, options.concurrency, {
      signal: interrupt.signal,
      onProgress: (done, outcomes) => {
        latest = outcomes;
        spinner.update(`${request}: ${done}/${count}`);
      },
    });
  } finally {
    clearInterval(progress);
    spinner.stop();
    interrupt.dispose();
    await sender.close();
  }
  const { outcomes, summary } = result;
  const failures = outcomes.filter((o) => 'error' in o);
  // Nothing answered at all, for one reason: say that reason in one line, like a single send would.
  const first = failures[0];
  if (!summary.interrupted && first !== undefined && 'error' in first && failures.length === outcomes.length && failures.every((f) => 'error' in f && f.error.kind === first.error.kind)) {
    throw first.error;
  }
  out.info(`--> ${request}`);
  if (out.json) {
    out.data({ type: options.type.name, scheme: options.scheme, url: options.url.href, ...summary, ...(options.expect ? { expect: options.expect.text } : {}) });
  }
  printSummary(out, summary);
  if (summary.duplicates > 0) out.info(out.c.yellow(`${plural(summary.duplicates, 'answer')} said duplicate: the receiver already had the webhook-id; ${NEW_ID_HINT}`));
  if ((summary.httpStatuses['401'] ?? 0) > 0) out.info(secretHint(options));
  if (summary.interrupted) {
    out.info(`interrupted: ${summary.count} of ${count} requests finished`);
    throw new SilentExit(EXIT_INTERRUPTED);
  }
  if (failures.length > 0) {
    const kinds = Object.entries(summary.errors).map(([k, n]) => `${n} ${k}`).join(', ');
    throw new OperationError(`${failures.length} of ${count} requests got no answer (${kinds})`);
  }
  if (options.expect !== undefined) {
    const expect = options.expect;
    const off = outcomes.filter((o) => 'status' in o && !expect.matches(o.status)).length;
    if (off > 0) throw new OperationError(`${off} of ${count} answers were not ${expect.text}`);
  }
}

function progressText(s: BatchSummary, planned: number): string {
  const parts = [...Object.entries(s.httpStatuses).map(([k, n]) => `${k}: ${n}`), ...Object.entries(s.errors).map(([k, n]) => `${k}: ${n}`)];
  return `${s.count}/${planned} sent in ${duration(s.elapsedMs)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

async function eventSpec(options: SendOptions, out: Output): Promise<import('../core/delivery/sender.js').EventSpec> {
  const { UsageError } = await import('../errors.js');
  const input = await import('./signing-input.js');
  const spec: import('../core/delivery/sender.js').EventSpec = {
    type: options.type,
    scheme: options.scheme,
    secret: options.secret,
    sets: options.sets,
  };
  if (options.shopId !== undefined) spec.shopId = options.shopId;
  if (options.id !== undefined) spec.id = options.id;
  if (options.timestamp !== undefined) spec.timestamp = options.timestamp;
  if (options.data === undefined) return spec;

  const { bytes, label } = options.data;
  const parsed = parseJson(bytes, input.isUtf8(bytes));
  if (options.sets.length > 0) {
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(`--set needs the --data body to be a JSON object, and ${label} is not one`, 'drop --set to send it byte for byte');
    }
    spec.base = parsed as JsonObject;
    out.info(`note: --set edits the JSON of ${label}, so the body is re-serialised (drop --set to send the file byte for byte)`);
    return spec;
  }
  spec.data = bytes;
  if (parsed === undefined) {
    out.warn(`${label} is not valid JSON; sending it byte for byte anyway (${bytesInWords(bytes.length)})`);
  } else if (isObject(parsed) && typeof parsed.event_type === 'string' && parsed.event_type !== options.type.name) {
    out.warn(`${label} has event_type '${parsed.event_type}', not '${options.type.name}'; sending it as is`);
  }
  return spec;
}

function parseJson(bytes: Buffer, utf8: boolean): unknown {
  if (!utf8) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonRequest(event: PreparedEvent, url: URL): { event: unknown; request: unknown } {
  return {
    event: { type: event.type, scheme: event.scheme, id: event.id ?? null, timestamp: event.timestamp, payload: event.payload },
    request: { method: 'POST', url: url.href, headers: event.headers },
  };
}

function jsonResponse(d: Delivery): unknown {
  // The record schema: status is the outcome word (delivered: a 2xx), httpStatus the code answered.
  const status = d.duplicate ? 'duplicate' : d.status >= 200 && d.status < 300 ? 'delivered' : 'failed';
  return { status, httpStatus: d.status, ms: d.ms, headers: d.headers, body: d.body, ...(d.truncated ? { truncated: true } : {}), duplicate: d.duplicate };
}

/** Headers that carry credentials: shown masked under --verbose. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);

function headerLines(arrow: string, headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${arrow} ${k}: ${CREDENTIAL_HEADERS.has(k.toLowerCase()) ? maskValue(v) : v}`)
    .join('\n');
}

function maskValue(v: string): string {
  return v.length <= 8 ? '•'.repeat(v.length) : `${v.slice(0, 4)}…${'•'.repeat(4)}`;
}



function colourStatus(out: Output, status: number): string {
  if (status >= 200 && status < 300) return out.c.green(String(status));
  if (status >= 500) return out.c.red(String(status));
  return out.c.yellow(String(status));
}

function shorten(body: string, truncated?: boolean): string {
  const text = body.replace(/\s+$/, '');
  if (text.length <= SHOWN_BODY_CHARS) return truncated ? `${text}… (longer than 64 KiB; cut there)` : text;
  return `${text.slice(0, SHOWN_BODY_CHARS)}… (${text.length - SHOWN_BODY_CHARS} more characters; --json shows ${truncated ? 'the first 64 KiB' : 'all'})`;
}

function printSummary(out: Output, s: BatchSummary): void {
  out.info(`<-- ${plural(s.count, 'request')} in ${duration(s.elapsedMs)} (${s.rate}/s)${s.interrupted ? `, interrupted after ${s.count} of ${s.planned}` : ''}`);
  // Duplicates are 2xx answers, but not deliveries: a row of their own, taken out of their status's count.
  let dupes = s.duplicates;
  const rows: [string, string, number][] = [
    ...Object.entries(s.httpStatuses)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([k, n]): [string, string, number] => {
        const taken = Number(k) >= 200 && Number(k) < 300 ? Math.min(n, dupes) : 0;
        dupes -= taken;
        return [k, colourStatus(out, Number(k)), n - taken];
      })
      .filter(([, , n]) => n > 0),
    ...(s.duplicates > 0 ? [['duplicate', out.c.yellow('duplicate'), s.duplicates] as [string, string, number]] : []),
    ...Object.entries(s.errors).map(([k, n]): [string, string, number] => [k, out.c.red(k), n]),
  ];
  // Pad the plain label: colour codes would throw padEnd off.
  for (const [plain, coloured, n] of rows) out.info(`    ${coloured}${' '.repeat(Math.max(1, 11 - plain.length))}${n}`);
  if (s.ms !== null) out.info(`    p50 ${s.ms.p50} ms · p99 ${s.ms.p99} ms · max ${s.ms.max} ms`);
}
