// The secret, scheme, webhook-id and timestamp flags shared by `send`, `sign` and `verify`: the secret found by the
// one resolver (shared/secret.ts) and checked against the scheme; raw values into typed ones, or a UsageError.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
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
