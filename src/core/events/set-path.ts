// `--set key.path=value`: typed values written into a JSON payload at a dot path.
import { UsageError } from '../../errors.js';
import type { Json, JsonObject } from './fixtures.js';

/**
 * Parse a `--set` value: numbers, booleans and null as such, JSON objects/arrays as JSON, strings otherwise; a
 * double-quoted value is the string inside (`name="12"` is the string 12, not the number).
 */
export function parseSetValue(raw: string): Json {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    try {
      const text: unknown = JSON.parse(raw);
      if (typeof text === 'string') return text;
    } catch {
      /* not a JSON string: keep the characters as typed */
    }
  }
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(raw)) {
    const n = Number(raw);
    if (Number.isSafeInteger(n) || !Number.isInteger(n)) return n;
  }
  if ((raw.startsWith('{') && raw.endsWith('}')) || (raw.startsWith('[') && raw.endsWith(']'))) {
    try {
      return JSON.parse(raw) as Json;
    } catch {
      /* not JSON: keep it as a string */
    }
  }
  return raw;
}

export class SetSyntaxError extends UsageError {}

/** Apply `key.path=value` to `target` (mutates and returns it). */
export function applySet(target: JsonObject, assignment: string): JsonObject {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new SetSyntaxError(`--set expects key=value (dot paths allowed, e.g. shop_id=123), got '${assignment}'`);
  const path = assignment.slice(0, eq).split('.');
  if (path.some((p) => p === '')) throw new SetSyntaxError(`--set has an empty key segment in '${assignment.slice(0, eq)}'`);
  const value = parseSetValue(assignment.slice(eq + 1));
  let node: JsonObject = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
      const fresh: JsonObject = {};
      node[key] = fresh;
      node = fresh;
    } else {
      node = next;
    }
  }
  node[path[path.length - 1]!] = value;
  return target;
}
