// `etsyhook sign [FILE|-]`: print the signature headers for a body, or a ready-to-run curl command.
import type { Command } from 'commander';
import { context } from './common.js';

interface RawSignOptions {
  secret?: string;
  scheme?: string;
  id?: string;
  timestamp?: string;
  curl?: string;
}

export function register(program: Command): void {
  program
    .command('sign')
    .description('print the signature headers for a body, one `name: value` a line')
    .argument('[file]', 'the body to sign: a FILE, or - (the default) for stdin')
    .option('--secret <secret>', 'signing secret (default: ETSY_WEBHOOK_SECRET, else the stored one)')
    .option('--scheme <scheme>', 'standard (webhook-* headers) or legacy (X-Etsy-Signature) (default: standard)')
    .option('--id <id>', 'webhook-id to sign with (default: a fresh msg_… id; standard scheme only)')
    .option('--timestamp <unix>', 'unix seconds to sign with (default: now)')
    .option('--curl <url>', 'print a ready-to-run curl command that POSTs the signed body to URL instead')
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook sign body.json --secret whsec_…               webhook-id, webhook-timestamp, webhook-signature
  $ echo -n '{"test": 2432232314}' | etsyhook sign --id msg_p5jXN8AQM9LWM0D4loKWxJek --timestamp 1614265330
  $ etsyhook sign body.json --scheme legacy --json         {"X-Etsy-Signature": …, "X-Etsy-Timestamp": …}
  $ etsyhook sign body.json --curl http://localhost:3000/webhooks | sh

Headers go to stdout (--json: one object). The secret is never printed.
Receivers reject a timestamp older than 5 minutes by default: sign again, or pass --timestamp, to test that.`,
    )
    .action(async (file: string | undefined, _raw: RawSignOptions, cmd: Command) => {
      const { opts, out } = context<RawSignOptions>(cmd);
      const { UsageError } = await import('../errors.js');
      const { parseUrlFlag } = await import('../config.js');
      const input = await import('./signing-input.js');
      const { signatureHeaders } = await import('../core/receive/signature.js');

      const scheme = input.parseScheme(opts.scheme) ?? 'standard';
      const id = input.parseWebhookId(opts.id);
      const timestamp = input.parseTimestamp(opts.timestamp);
      const curlUrl = opts.curl === undefined ? undefined : parseUrlFlag('--curl', opts.curl);
      if (id !== undefined && scheme === 'legacy') {
        throw new UsageError('--id sets webhook-id, which the legacy scheme does not sign', 'drop --id, or use --scheme standard');
      }
      if (curlUrl !== undefined && out.json) throw new UsageError('--curl and --json cannot be combined: pick one output');
      const source = input.bodySource(file);
      const body = await input.readSource(source);
      if (curlUrl !== undefined && source.kind === 'stdin' && (!input.isUtf8(body) || body.includes(0))) {
        throw new UsageError('--curl can only inline a UTF-8 text body', 'save the body to a FILE and pass it, so curl sends it with --data-binary @FILE');
      }
      const secret = await input.resolveSecret(opts.secret);
      input.checkSecretFormat(secret, scheme);
      out.debug(`signing ${body.length} bytes from ${source.label} with the secret from ${secret.origin}`);

      const headers = signatureHeaders(scheme, secret.value, body, {
        ...(id === undefined ? {} : { id }),
        ...(timestamp === undefined ? {} : { timestamp }),
      });
      if (out.json) {
        out.data(headers);
        return;
      }
      if (curlUrl === undefined) {
        for (const [name, value] of Object.entries(headers)) out.line(`${name}: ${value}`);
        return;
      }
      const data = source.kind === 'file' ? shellQuote(`@${source.path}`) : shellQuote(body.toString('utf8'));
      out.line(curlCommand(curlUrl.href, headers, data));
    });
}

/** A POSIX-shell word: left bare when it is safe, else single-quoted with embedded quotes escaped. */
export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function curlCommand(url: string, headers: Record<string, string>, quotedData: string): string {
  const lines = [`curl -sS -i ${shellQuote(url)}`, `-H ${shellQuote('content-type: application/json')}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  lines.push(`--data-binary ${quotedData}`);
  return lines.join(' \\\n  ');
}
