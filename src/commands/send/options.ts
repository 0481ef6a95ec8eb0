// send's flags (typed by their Options) into SendOptions: the rules across flags, the secret, the --data body.
import { UsageError } from '../../errors.js';
import { closeMatches, deprecationWarning, findEventType, replacementOf, type EventType } from '../../core/events/catalog.js';
import type { Scheme } from '../../core/receive/signature.js';
import type { Output } from '../../ui/output.js';
import { checkSecretFormat, resolveSecret } from '../shared/signing.js';
import { bodySource, readSource } from '../shared/body.js';

export interface SendFlags {
  to: URL;
  secret?: string;
  scheme: Scheme;
  set?: string[];
  data?: string;
  shop?: number;
  id?: string;
  timestamp?: number;
  expect?: StatusExpectation;
  timeout: number;
  count?: number;
  concurrency?: number;
}

export interface StatusExpectation {
  text: string;
  matches(status: number): boolean;
}

export interface SendOptions {
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


export async function validate(typeName: string, raw: SendFlags, out: Output): Promise<SendOptions> {

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
  const { to: url, scheme, shop: shopId, id, timestamp, expect, timeout: timeoutMs, count, concurrency } = raw;
  const sets = raw.set ?? [];
  for (const s of sets) checkSet(s);

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
    const source = bodySource(raw.data);
    data = { bytes: await readSource(source, '--data'), label: source.label };
  }

  const secret = await resolveSecret(raw.secret);
  checkSecretFormat(secret, scheme);
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
function checkSet(assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects key=value (dot paths allowed, e.g. shop_id=123), got '${assignment}'`);
  if (assignment.slice(0, eq).split('.').some((p) => p.trim() === '')) {
    throw new UsageError(`--set has an empty key segment in '${assignment.slice(0, eq)}'`, 'write nested keys as a.b.c=value');
  }
}

/** `200`, `2xx`, `40x`, or a comma-separated list of them. */
export function parseExpect(raw: string): StatusExpectation {
  const parts = raw.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  if (parts.length === 0 || !parts.every((p) => /^[1-5][0-9x]{2}$/.test(p) && !/^.x\d$/.test(p))) {
    throw new UsageError(`--expect must be a status such as 200, a class such as 2xx, or a list such as 200,202; got '${raw}'`);
  }
  const patterns = parts.map((p) => new RegExp(`^${p.replace(/x/g, '\\d')}$`));
  return { text: parts.join(','), matches: (status) => patterns.some((r) => r.test(String(status))) };
}
