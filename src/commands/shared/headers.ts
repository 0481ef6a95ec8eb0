// Received headers as people paste them (an HTTP dump, curl -v, a log line, a JSON object), for `verify`.

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
