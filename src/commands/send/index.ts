// `etsyhook send <event-type>`: build, sign and POST a test event, print the answer; `--count` for a batch.
import type { Command } from '../shared/commander.js';
import { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_LOCAL_TARGET } from '../../core/defaults.js';
import { formatDuration } from '../../format.js';
import { context } from '../shared/context.js';
import { durationOption, intOption, parsedOption, repeatOption, schemeOption, secretOption, urlOption } from '../shared/flags.js';
import { parseTimestamp, parseWebhookId } from '../shared/signing.js';
import { parseExpect, validate, type SendFlags } from './options.js';
import { sendMany, sendOne } from './run.js';

export function register(program: Command): void {
  program
    .command('send')
    .description('build, sign and POST a test event to a receiver, and print its answer')
    .argument('<event-type>', 'an event type, e.g. order.paid (see `etsyhook events types`)')
    .addOption(urlOption('--to <url>', 'where to POST').default(new URL(DEFAULT_LOCAL_TARGET), `${DEFAULT_LOCAL_TARGET}, where \`etsyhook dev\` listens`))
    .addOption(secretOption('--secret <secret>', 'signing secret (default: ETSY_WEBHOOK_SECRET, else the stored one)'))
    .addOption(schemeOption('--scheme <scheme>', 'standard (webhook-* headers, what Etsy sends) or legacy (X-Etsy-Signature)').default('standard'))
    .addOption(repeatOption('--set <key=value>', 'override a fixture field; dot paths; numbers, booleans, null parsed (repeatable)'))
    .option('--data <file>', 'send this body (a FILE, or - for stdin) byte for byte instead of a fixture; with --set, edit its JSON')
    .addOption(intOption('--shop <id>', 'shop id for the fixture', { min: 1 }))
    .addOption(parsedOption('--id <id>', 'webhook-id to send (default: a fresh msg_… id)', (raw, name) => parseWebhookId(raw, name)!))
    .addOption(parsedOption('--timestamp <unix>', 'sign with this timestamp, e.g. to test stale-timestamp rejection (default: now)', (raw, name) => parseTimestamp(raw, name)!))
    .addOption(parsedOption('--expect <status>', 'exit 1 unless the answer matches: 200, 2xx, 401, or a list such as 200,202', (raw) => parseExpect(raw)))
    .addOption(durationOption('--timeout <duration>', 'give up waiting for an answer after this long', { min: 1 }).default(DEFAULT_DELIVERY_TIMEOUT_MS, formatDuration(DEFAULT_DELIVERY_TIMEOUT_MS)))
    .addOption(intOption('--count <n>', 'send N distinct events (fresh fixture and webhook-id each) and print a summary', { min: 1, max: 1_000_000 }))
    .addOption(intOption('--concurrency <n>', 'with --count: requests in flight at once (default: 1)', { min: 1, max: 1000 }))
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook send order.paid                                   to \`etsyhook dev\` on ${DEFAULT_LOCAL_TARGET}
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
    .action(async (type: string, _flags: SendFlags, cmd: Command) => {
      const { opts, out } = context<SendFlags>(cmd);
      const options = await validate(type, opts, out);
      if (options.count === undefined) await sendOne(options, out);
      else await sendMany(options, options.count, out);
    });
}
