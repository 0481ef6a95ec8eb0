// The event to send: a fixture with --set edits, or the --data body (byte for byte, or its JSON edited by --set).
import { UsageError } from '../../errors.js';
import type { JsonObject } from '../../core/events/fixtures.js';
import type { EventSpec } from '../../core/delivery/sender.js';
import { bytesInWords } from '../../format.js';
import type { Output } from '../../ui/output.js';
import { isUtf8 } from '../shared/body.js';
import type { SendOptions } from './options.js';

export async function eventSpec(options: SendOptions, out: Output): Promise<EventSpec> {
  const spec: EventSpec = {
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
  const parsed = parseJson(bytes, isUtf8(bytes));
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

