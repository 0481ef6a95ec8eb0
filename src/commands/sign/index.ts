// `etsyhook sign [FILE|-]`: print the signature headers for a body, or a ready-to-run curl command.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { signatureHeaders, type Scheme } from '../../core/receive/signature.js';
import type { Output } from '../../ui/output.js';
import { context, type GlobalOptions } from '../shared/context.js';
import { urlOption } from '../shared/flags.js';
import { addSigningOptions, checkSecretFormat, givenSecret, secretOrStored, type ResolvedSecret } from '../shared/signing.js';
import { bodySource, isUtf8, readSource, type BodySource } from '../shared/body.js';

/** What commander hands over (values already parsed by flags.ts). */
export interface RawSignOptions extends GlobalOptions {
  secret?: string;
  scheme?: Scheme;
  id?: string;
  timestamp?: number;
  curl?: URL;
}

export interface SignOptions {
  source: BodySource;
  /** From --secret or ETSY_WEBHOOK_SECRET; undefined: the stored one. */
  secret: ResolvedSecret | undefined;
  scheme: Scheme;
  id: string | undefined;
  timestamp: number | undefined;
  curl: URL | undefined;
  json: boolean;
}

export function parseSignOptions(file: string | undefined, raw: RawSignOptions, secret: ResolvedSecret | undefined): SignOptions {
  const scheme = raw.scheme ?? 'standard';
  if (raw.id !== undefined && scheme === 'legacy') {
    throw new UsageError('--id sets webhook-id, which the legacy scheme does not sign', 'drop --id, or use --scheme standard');
  }
  if (raw.curl !== undefined && raw.json) throw new UsageError('--curl and --json cannot be combined: pick one output');
  return { source: bodySource(file), secret, scheme, id: raw.id, timestamp: raw.timestamp, curl: raw.curl, json: raw.json ?? false };
}

async function sign(o: SignOptions, out: Output): Promise<void> {
  const body = await readSource(o.source);
  if (o.curl !== undefined && o.source.kind === 'stdin' && (!isUtf8(body) || body.includes(0))) {
    throw new UsageError('--curl can only inline a UTF-8 text body', 'save the body to a FILE and pass it, so curl sends it with --data-binary @FILE');
  }
  // As `send --data -` does: an empty body is most often a pipe that produced nothing.
  if (body.length === 0) out.warn(`${o.source.label} is empty; signing 0 bytes anyway`);
  const secret = await secretOrStored(o.secret);
  checkSecretFormat(secret, o.scheme);
  out.debug(`signing ${body.length} bytes from ${o.source.label} with the secret from ${secret.origin}`);

  const headers = signatureHeaders(o.scheme, secret.value, body, {
    ...(o.id === undefined ? {} : { id: o.id }),
    ...(o.timestamp === undefined ? {} : { timestamp: o.timestamp }),
  });
  if (o.json) out.data(headers);
  else if (o.curl === undefined) for (const [name, value] of Object.entries(headers)) out.line(`${name}: ${value}`);
  else {
    const data = o.source.kind === 'file' ? shellQuote(`@${o.source.path}`) : shellQuote(body.toString('utf8'));
    out.line(curlCommand(o.curl.href, headers, data));
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('sign')
    .description('print the signature headers for a body, one `name: value` a line')
    .argument('[file]', 'the body to sign: a FILE, or - (the default) for stdin');
  addSigningOptions(cmd, 'standard (webhook-* headers) or legacy (X-Etsy-Signature)', { id: true })
    .addOption(urlOption('--curl <url>', 'print a ready-to-run curl command that POSTs the signed body to URL instead'))
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
    .action(async (file: string | undefined, _raw: object, c: Command) => {
      const { opts, out } = context<RawSignOptions>(c);
      await sign(parseSignOptions(file, opts, givenSecret(c, opts.secret)), out);
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
