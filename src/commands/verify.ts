// `etsyhook verify [FILE|-]`: check a delivery's signature headers against its body; exit 0 valid, 1 invalid.
import type { Command } from 'commander';
import { collect, context } from './common.js';

interface RawVerifyOptions {
  secret?: string;
  header?: string[];
  headersFile?: string;
  tolerance?: string;
  scheme?: string;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('check a delivery\'s signature: exit 0 and `valid (…)`, or exit 1 and `invalid: <reason>`')
    .argument('[file]', 'the body exactly as received: a FILE, or - (the default) for stdin')
    .option('--secret <secret>', 'signing secret (default: ETSY_WEBHOOK_SECRET, else the stored one)')
    .option('-H, --header <header>', "a received header, 'name: value' (repeatable; any case, pasted from a log is fine)", collect)
    .option('--headers-file <file>', 'read the headers from a FILE (or - for stdin): Name: value lines, an HTTP dump, curl -v output or a JSON object')
    .option('--tolerance <seconds>', 'accept timestamps this many seconds old or ahead (default: 300)')
    .option('--scheme <scheme>', 'force standard or legacy (default: detected from the headers)')
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
    .action(async (file: string | undefined, _raw: RawVerifyOptions, cmd: Command) => {
      const { opts, out } = context<RawVerifyOptions>(cmd);
      const { SilentExit, UsageError } = await import('../errors.js');
      const { parseIntFlag } = await import('../config.js');
      const input = await import('./signing-input.js');
      const { DEFAULT_TOLERANCE_SECONDS, detectScheme, verify } = await import('../core/receive/signature.js');

      const forced = input.parseScheme(opts.scheme);
      const tolerance = parseIntFlag('--tolerance', opts.tolerance, { min: 0 }) ?? DEFAULT_TOLERANCE_SECONDS;
      const bodyFrom = input.bodySource(file);
      const headersFrom = opts.headersFile === undefined ? undefined : input.bodySource(opts.headersFile);
      if (bodyFrom.kind === 'stdin' && headersFrom?.kind === 'stdin') {
        throw new UsageError('the body and --headers-file cannot both come from stdin', 'save one of them to a file');
      }
      if ((opts.header ?? []).length === 0 && headersFrom === undefined) {
        throw new UsageError("no headers to check", "pass the delivery's headers with --header 'name: value' (repeatable) or --headers-file FILE");
      }

      const pairs: [string, string][] = [];
      for (const raw of opts.header ?? []) {
        const lines = raw.split(/\r?\n/).filter((l) => l.trim() !== '');
        for (const line of lines) {
          const pair = input.parseHeaderLine(line);
          if (pair === undefined) throw new UsageError(`--header expects 'name: value', got '${line.trim()}'`);
          pairs.push(pair);
        }
      }
      if (headersFrom !== undefined) {
        const text = (await input.readSource(headersFrom, '--headers-file')).toString('utf8');
        const found = input.parseHeadersText(text);
        if (found.length === 0) throw new UsageError(`no 'name: value' headers found in ${headersFrom.label}`);
        pairs.push(...found);
      }
      const { headers, conflicts } = input.mergeHeaders(pairs);
      for (const name of conflicts) out.warn(`${name} was given more than once with different values; using the last`);

      const body = await input.readSource(bodyFrom);
      const secret = await input.resolveSecret(opts.secret);
      const scheme = forced ?? detectScheme(headers);
      if (scheme !== undefined) input.checkSecretFormat(secret, scheme);
      out.debug(`verifying ${body.length} bytes from ${bodyFrom.label} with the secret from ${secret.origin}; headers: ${Object.keys(headers).join(', ')}`);

      const result = verify(secret.value, body, headers, { toleranceSeconds: tolerance, ...(forced === undefined ? {} : { scheme: forced }) });
      if (out.json) {
        out.data({
          valid: result.valid,
          scheme: result.scheme ?? null,
          reason: result.reason ?? null,
          id: result.id ?? null,
          timestamp: result.timestamp ?? null,
          message: result.message,
        });
      } else {
        out.line(result.valid ? result.message : `invalid: ${result.message}`);
      }
      if (result.valid) return;
      if (result.reason === 'stale_timestamp' && result.timestamp !== undefined) {
        const age = Math.floor(Date.now() / 1000) - result.timestamp;
        out.info(`to check the signature of an older delivery anyway, pass --tolerance ${age + 60}`);
      } else if (result.reason === 'no_matching_signature') {
        out.info('the body must be the exact bytes received (a file saved by a JSON pretty-printer or editor will not match)');
      }
      throw new SilentExit(1);
    });
}
