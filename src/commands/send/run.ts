// Sending: one event and its answer, or a batch and its summary; Ctrl-C stops either with what was done so far.
import { OperationError } from '../../errors.js';
import { prepareEvent, Sender, sendBatch, summarise, type Delivery, type Outcome, type PreparedEvent } from '../../core/delivery/sender.js';
import { randomShopId } from '../../core/events/fixtures.js';
import { plural } from '../../format.js';
import type { Output } from '../../ui/output.js';
import { lifecycle } from '../shared/lifecycle.js';
import { eventSpec } from './event.js';
import type { SendOptions } from './options.js';
import { colourStatus, headerLines, jsonRequest, jsonResponse, printSummary, progressText, shorten } from './render.js';

export async function sendOne(options: SendOptions, out: Output): Promise<void> {
  const event = prepareEvent(await eventSpec(options, out));
  const request = `${event.type}${event.id ? ` [${event.id}]` : ''} POST ${options.url.href} (${event.scheme})`;
  // The request line is printed with its answer, so a failure stays one line; a terminal gets a spinner meanwhile.
  const spinner = await out.spinner(request);
  const sender = await Sender.open({ url: options.url, timeoutMs: options.timeoutMs, connections: 1 });
  const life = lifecycle();
  let delivery: Delivery;
  try {
    delivery = await sender.post(event, life.signal);
  } catch (err) {
    spinner.stop();
    if (!life.signal.aborted) throw err;
    // Ctrl-C while waiting for an app that does not answer: say so, and what --json readers get.
    if (out.json) out.data({ ...jsonRequest(event, options.url), response: null, interrupted: true });
    out.info(`--> ${request}`);
    out.info(`<-- ${(err as Error).message}`);
    life.end();
    return;
  } finally {
    spinner.stop();
    life.dispose();
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

export async function sendMany(options: SendOptions, count: number, out: Output): Promise<void> {
  const spec = await eventSpec(options, out);
  // One shop for the whole batch, so the events look like one shop's traffic.
  const shopId = spec.shopId ?? (spec.data === undefined && spec.base === undefined ? randomShopId() : undefined);
  const make = (): PreparedEvent => prepareEvent({ ...spec, ...(shopId === undefined ? {} : { shopId }) });

  const request = `${count} × ${options.type.name} POST ${options.url.href} (${options.scheme}, concurrency ${options.concurrency})`;
  const spinner = await out.spinner(request);
  const sender = await Sender.open({ url: options.url, timeoutMs: options.timeoutMs, connections: options.concurrency });
  const life = lifecycle();
  let latest: readonly Outcome[] = [];
  const started = Date.now();
  const progress = out.interactiveSpinner
    ? undefined
    : setInterval(() => out.info(`... ${progressText(summarise(latest, options.concurrency, Date.now() - started), count)}`), PROGRESS_EVERY_MS);
  let result: Awaited<ReturnType<typeof sendBatch>>;
  try {
    result = await sendBatch(sender, make, count, options.concurrency, {
      signal: life.signal,
      onProgress: (done, outcomes) => {
        latest = outcomes;
        spinner.update(`${request}: ${done}/${count}`);
      },
    });
  } finally {
    clearInterval(progress);
    spinner.stop();
    life.dispose();
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
    life.end();
    return;
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

