// `etsyhook verify [FILE|-]`: check a delivery's signature headers against its body; exit 0 valid, 1 invalid.
import type { Command } from 'commander';
import { SilentExit, UsageError } from '../../errors.js';
import { DEFAULT_TOLERANCE_SECONDS } from '../../core/defaults.js';
import { detectScheme, verify, type Scheme } from '../../core/receive/signature.js';
import type { Output } from '../../ui/output.js';
import { collect, context, type GlobalOptions } from '../shared/context.js';
import { intOption } from '../shared/flags.js';
import { addSigningOptions, checkSecretFormat, givenSecret, secretOrStored, type ResolvedSecret } from '../shared/signing.js';
import { bodySource, readSource, type BodySource } from '../shared/body.js';
import { mergeHeaders, parseHeaderLine, parseHeadersText } from '../shared/headers.js';

/** What commander hands over (values already parsed by flags.ts). */
export interface RawVerifyOptions extends GlobalOptions {
  secret?: string;
  header?: string[];
  headersFile?: string;
  tolerance?: number;
  scheme?: Scheme;
}

export interface VerifyOptions {
  body: BodySource;
  /** Header lines given with --header, already split into (lower-case name, value). */
  headers: [string, string][];
  headersFile: BodySource | undefined;
  secret: ResolvedSecret | undefined;
  /** Forced with --scheme; undefined: detected from the headers. */
  scheme: Scheme | undefined;
  tolerance: number;
  json: boolean;
}

export function parseVerifyOptions(file: string | undefined, raw: RawVerifyOptions, secret: ResolvedSecret | undefined): VerifyOptions {
  const body = bodySource(file);
  const headersFile = raw.headersFile === undefined ? undefined : bodySource(raw.headersFile);
  if (body.kind === 'stdin' && headersFile?.kind === 'stdin') {
    throw new UsageError('the body and --headers-file cannot both come from stdin', 'save one of them to a file');
  }
  if ((raw.header ?? []).length === 0 && headersFile === undefined) {
    throw new UsageError('no headers to check', "pass the delivery's headers with --header 'name: value' (repeatable) or --headers-file FILE");
  }
  const headers: [string, string][] = [];
  for (const given of raw.header ?? []) {
    for (const line of given.split(/\r?\n/).filter((l) => l.trim() !== '')) {
      const pair = parseHeaderLine(line);
      if (pair === undefined) throw new UsageError(`--header expects 'name: value', got '${line.trim()}'`);
      headers.push(pair);
    }
  }
  return { body, headers, headersFile, secret, scheme: raw.scheme, tolerance: raw.tolerance ?? DEFAULT_TOLERANCE_SECONDS, json: raw.json ?? false };
}

async function verifyDelivery(o: VerifyOptions, out: Output): Promise<void> {
  const pairs = [...o.headers];
  if (o.headersFile !== undefined) {
    const found = parseHeadersText((await readSource(o.headersFile, '--headers-file')).toString('utf8'));
    if (found.length === 0) throw new UsageError(`no 'name: value' headers found in ${o.headersFile.label}`);
    pairs.push(...found);
  }
  const { headers, conflicts } = mergeHeaders(pairs);
  for (const name of conflicts) out.warn(`${name} was given more than once with different values; using the last`);

  const body = await readSource(o.body);
  const secret = await secretOrStored(o.secret);
  const scheme = o.scheme ?? detectScheme(headers);
  if (scheme !== undefined) checkSecretFormat(secret, scheme);
  out.debug(`verifying ${body.length} bytes from ${o.body.label} with the secret from ${secret.origin}; headers: ${Object.keys(headers).join(', ')}`);

  const result = verify(secret.value, body, headers, { toleranceSeconds: o.tolerance, ...(o.scheme === undefined ? {} : { scheme: o.scheme }) });
  if (o.json) {
    const { valid, scheme: s, reason, id, timestamp, message } = result;
    out.data({ valid, scheme: s ?? null, reason: reason ?? null, id: id ?? null, timestamp: timestamp ?? null, message });
  } else out.line(result.valid ? result.message : `invalid: ${result.message}`);
  if (result.valid) return;
  if (result.reason === 'stale_timestamp' && result.timestamp !== undefined) {
    const age = Math.floor(Date.now() / 1000) - result.timestamp;
    out.info(`to check the signature of an older delivery anyway, pass --tolerance ${age + 60}`);
  } else if (result.reason === 'no_matching_signature') {
    out.info('the body must be the exact bytes received (a file saved by a JSON pretty-printer or editor will not match)');
  }
  throw new SilentExit(1);
}

export function register(program: Command): void {
  const cmd = program
    .command('verify')
    .description("check a delivery's signature: exit 0 and `valid (…)`, or exit 1 and `invalid: <reason>`")
    .argument('[file]', 'the body exactly as received: a FILE, or - (the default) for stdin')
    .option('-H, --header <header>', "a received header, 'name: value' (repeatable; any case, pasted from a log is fine)", collect)
    .option('--headers-file <file>', 'read the headers from a FILE (or - for stdin): Name: value lines, an HTTP dump, curl -v output or a JSON object')
    .addOption(intOption('--tolerance <seconds>', 'accept timestamps this many seconds old or ahead').default(DEFAULT_TOLERANCE_SECONDS));
  addSigningOptions(cmd, 'force standard or legacy (default: detected from the headers)')
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook verify body.json -H 'webhook-id: msg_…' -H 'webhook-timestamp: 1700000000' -H 'webhook-signature: v1,…'
  $ etsyhook verify body.json --headers-file headers.txt --tolerance 86400     an older delivery copied from a log
  $ etsyhook sign body.json > h.txt && etsyhook verify body.json --headers-file h.txt --json

The verdict goes to stdout: \`valid (standard, id msg_…)\` or \`invalid: <reason>\`;
--json gives {valid, scheme, reason, id, timestamp, message}. Exit codes: 0 valid, 1 invalid, 2 usage error.`,
    )
    .action(async (file: string | undefined, _raw: object, c: Command) => {
      const { opts, out } = context<RawVerifyOptions>(c);
      await verifyDelivery(parseVerifyOptions(file, opts, givenSecret(c, opts.secret)), out);
    });
}
