// Edge validation shared by `send`, `sign` and `verify`: the secret (flag > env > stored), the scheme, timestamps,
// and bodies read from a FILE or stdin. Everything here turns raw flags into typed values or throws a UsageError.
import type { Command } from 'commander';
import { UsageError, describeSystemError } from '../../errors.js';
import { decodeStandardSecret, type Scheme } from '../../core/receive/signature.js';
import { parsedOption, schemeOption, secretOption, sourceOf } from './flags.js';
import { SECRET_ENV, webhookSecret } from './secret.js';

/** --secret (env ETSY_WEBHOOK_SECRET), --scheme, --id, --timestamp, as `sign` and `verify` take them. */
export function addSigningOptions(cmd: Command, scheme: string, more: { id?: boolean } = {}): Command {
  cmd
    .addOption(secretOption('--secret <secret>', 'signing secret (default: the stored one)', SECRET_ENV))
    .addOption(schemeOption('--scheme <scheme>', scheme));
  if (more.id) {
    cmd
      .addOption(parsedOption('--id <id>', 'webhook-id to sign with (default: a fresh msg_… id; standard scheme only)', (raw, name) => parseWebhookId(raw, name)))
      .addOption(parsedOption('--timestamp <unix>', 'unix seconds to sign with (default: now)', (raw, name) => parseTimestamp(raw, name)));
  }
  return cmd;
}

/** The secret given by --secret or ETSY_WEBHOOK_SECRET (already checked non-empty), with where it came from. */
export function givenSecret(cmd: Command, value: string | undefined): ResolvedSecret | undefined {
  if (value === undefined) return undefined;
  return { value, origin: sourceOf(cmd, 'secret', { flag: '--secret', env: SECRET_ENV }) ?? '--secret' };
}

/** The given secret, else the stored one; none is a usage error naming all three places. */
export async function secretOrStored(given: ResolvedSecret | undefined): Promise<ResolvedSecret> {
  return given ?? resolveSecret(undefined);
}

export interface ResolvedSecret {
  value: string;
  /** Where it came from, for messages: `--secret`, `ETSY_WEBHOOK_SECRET` or `stored config`. */
  origin: string;
}

/** The signing secret: --secret, else ETSY_WEBHOOK_SECRET, else the stored one; none is a usage error naming all three. */
export async function resolveSecret(flag: string | undefined): Promise<ResolvedSecret> {
  const found = await webhookSecret(flag);
  if (found === undefined) {
    throw new UsageError(
      'no signing secret',
      `pass --secret, set ${SECRET_ENV}, or run \`etsyhook dev\` once to create and store one`,
    );
  }
  return { value: found.value, origin: found.origin };
}

/** A standard-scheme secret must be whsec_<base64> (or plain base64); legacy takes any string. */
export function checkSecretFormat(secret: ResolvedSecret, scheme: Scheme): void {
  if (scheme === 'legacy') return;
  try {
    decodeStandardSecret(secret.value);
  } catch {
    throw new UsageError(
      `the secret from ${secret.origin} is not a Standard Webhooks secret: expected whsec_ followed by base64`,
      'for a receiver using X-Etsy-Signature pass --scheme legacy',
    );
  }
}

/** Unix seconds, digits only (a millisecond timestamp is caught: it would be thousands of years ahead). */
export function parseTimestamp(raw: string | undefined, name = '--timestamp'): number | undefined {
  if (raw === undefined) return undefined;
  const t = raw.trim();
  if (!/^\d{1,15}$/.test(t)) throw new UsageError(`${name} must be unix seconds (e.g. ${Math.floor(Date.now() / 1000)}), got '${raw}'`);
  const n = Number(t);
  if (n > 99_999_999_999) throw new UsageError(`${name} must be unix seconds, not milliseconds: got '${raw}'`);
  return n;
}

/** A webhook-id as given; whitespace would not survive being sent as a header value. */
export function parseWebhookId(raw: string | undefined, name = '--id'): string | undefined {
  if (raw === undefined) return undefined;
  if (raw === '' || /[\s]/.test(raw)) throw new UsageError(`${name} must be a non-empty id without spaces, got '${raw}'`);
  return raw;
}

/** Where a body comes from: a named file, or stdin (`-`). */
export interface BodySource {
  kind: 'file' | 'stdin';
  /** The file path as the user typed it (for messages and `curl --data-binary @FILE`). */
  path: string | undefined;
  label: string;
}

export function bodySource(arg: string | undefined): BodySource {
  if (arg === undefined || arg === '-') return { kind: 'stdin', path: undefined, label: 'stdin' };
  return { kind: 'file', path: arg, label: arg };
}

/** Read a file or all of stdin as raw bytes; an unreadable file is a usage error naming it. */
export async function readSource(source: BodySource, flag = 'FILE'): Promise<Buffer> {
  if (source.kind === 'stdin') {
    if (process.stdin.isTTY) {
      throw new UsageError(`no input: ${flag} not given and stdin is a terminal`, `pass ${flag}, or pipe the body in (… | etsyhook …)`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks);
  }
  try {
    const { readFile } = await import('node:fs/promises'); // only for --data FILE: not on every send's path
    return await readFile(source.path!);
  } catch (err) {
    const why = describeSystemError(err) ?? (err as Error).message;
    throw new UsageError(`cannot read ${source.path}: ${why.replace(/: .*$/, '')}`);
  }
}

/** Bytes that are valid UTF-8 text. */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Whether the bytes are one JSON value (what a webhook body should be). */
export function isJson(bytes: Uint8Array): boolean {
  if (!isUtf8(bytes)) return false;
  try {
    JSON.parse(Buffer.from(bytes).toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * One `name: value` header line as people paste it: any case, extra spaces, curl -v's `> ` prefix, quoted names and
 * values (`"webhook-id": "msg_…",` from a JSON or Python log). Request and status lines, body lines and anything
 * else that is not a header give undefined.
 */
export function parseHeaderLine(line: string): [string, string] | undefined {
  const l = line.replace(/^\s*[<>*]\s?/, '').trim();
  if (l === '' || /^HTTP\/\d/i.test(l) || /^[A-Z]+ \S+ HTTP\/\d/.test(l)) return undefined;
  // `"name": "value",` — one entry of a JSON object or Python dict printed one per line.
  const quoted = /^\{?\s*(["'])([^"']+)\1\s*:\s*(.*?)\s*,?\s*\}?$/.exec(l);
  if (quoted) {
    const name = quoted[2]!.trim();
    return TOKEN.test(name) ? [name.toLowerCase(), unquote(quoted[3]!)] : undefined;
  }
  const colon = l.indexOf(':');
  if (colon <= 0) return undefined;
  const name = unquote(l.slice(0, colon).trim());
  const value = unquote(l.slice(colon + 1).trim().replace(/^(["'])(.*)\1,$/, '$1$2$1'));
  if (!TOKEN.test(name)) return undefined;
  return [name.toLowerCase(), value];
}

function unquote(s: string): string {
  const m = /^(["'])(.*)\1$/.exec(s);
  return m ? m[2]! : s;
}

export interface ParsedHeaders {
  headers: Record<string, string>;
  /** Names given more than once with different values (the last one wins, except webhook-signature). */
  conflicts: string[];
}

/** Merge header lines into one map; several webhook-signature values are joined, as the spec allows. */
export function mergeHeaders(pairs: readonly [string, string][]): ParsedHeaders {
  const headers: Record<string, string> = {};
  const conflicts: string[] = [];
  for (const [name, value] of pairs) {
    const before = headers[name];
    if (before === undefined) headers[name] = value;
    else if (name === 'webhook-signature') headers[name] = `${before} ${value}`;
    else {
      if (before !== value && !conflicts.includes(name)) conflicts.push(name);
      headers[name] = value;
    }
  }
  return { headers, conflicts };
}

/** A headers file: `Name: value` lines (an HTTP dump, curl -v output, a log excerpt) or a JSON object. */
export function parseHeadersText(text: string): [string, string][] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    // A JSON object, or a Python dict repr (single quotes) as a log would print it.
    for (const candidate of [trimmed, trimmed.replace(/'/g, '"')]) {
      const pairs = objectPairs(candidate);
      if (pairs !== undefined) return pairs;
    }
  }
  return text.split(/\r?\n/).flatMap((line) => {
    const pair = parseHeaderLine(line);
    return pair ? [pair] : [];
  });
}

function objectPairs(text: string): [string, string][] | undefined {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const values: unknown[] = Array.isArray(v) ? v : [v];
    for (const one of values) {
      if (typeof one === 'string' || typeof one === 'number') pairs.push([k.trim().toLowerCase(), String(one).trim()]);
    }
  }
  return pairs;
}
