// `events show`: one stored event for humans (headers, the body pretty-printed, verdict, attempts) and as JSON.
import type { ChalkInstance } from 'chalk';
import { attemptsByRoute, type StoredEvent } from '../core/log/query.js';
import type { AttemptResponse, DeliveryRecord } from '../core/log/records.js';
import { bodyBytes } from '../core/log/records.js';
import { formatEventLine } from './event-line.js';
import { bytesInWords, formatAgo } from '../format.js';
import { eventJson, type EventJson } from './present.js';
import { colourStatus } from './event-table.js';
import { localTime } from './time.js';

export interface EventDetailJson extends EventJson {
  headers: Record<string, string>;
  /** The exact body when it is valid UTF-8, else null (see bodyBase64). */
  body: string | null;
  bodyBase64?: string;
  /** The body parsed as JSON, when it is JSON; null otherwise. */
  payload: unknown;
}

export function eventDetailJson(ev: StoredEvent): EventDetailJson {
  const r = ev.record;
  const text = r.body64 === undefined ? (r.body ?? '') : undefined;
  return {
    ...eventJson(ev),
    headers: r.headers,
    body: text ?? null,
    ...(r.body64 === undefined ? {} : { bodyBase64: r.body64 }),
    payload: text === undefined ? null : parseJson(text),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

const SHOW_BODY_BYTES = 64 * 1024;

export function renderEventDetail(ev: StoredEvent, c: ChalkInstance, now = Date.now()): string {
  const r = ev.record;
  const lines: string[] = [];
  const field = (name: string, value: string): void => void lines.push(`  ${c.dim(name.padEnd(11))}${value}`);
  lines.push(`${c.bold(r.id)}  ${r.type ?? c.dim('(unknown type)')}  ${colourStatus(ev.status, c)}`);
  lines.push('');
  field('received', `${localTime(r.at)}  ${c.dim(`(${formatAgo(Date.parse(r.at), now)})`)}`);
  field('request', `${r.method} ${r.path}${r.remote ? c.dim(`  from ${r.remote}`) : ''}`);
  field('verdict', `${colourStatus(r.status, c)}${r.httpStatus !== undefined ? c.dim(`  (answered ${r.httpStatus})`) : ''}`);
  if (r.reason) field('reason', r.reason);
  if (r.webhookId) field('webhook-id', r.webhookId);
  if (r.scheme) field('scheme', r.scheme);
  if (r.forwardTo) field('forward to', r.forwardTo);

  lines.push('', c.bold('Headers'));
  const names = Object.keys(r.headers);
  if (names.length === 0) lines.push(c.dim('  (none)'));
  for (const name of names) lines.push(`  ${name}: ${r.headers[name]}`);

  const bytes = bodyBytes(r);
  lines.push('');
  if (bytes.length === 0) {
    lines.push(`${c.bold('Body')} ${c.dim('(empty)')}`);
  } else if (r.body64 !== undefined) {
    lines.push(`${c.bold('Body')} ${c.dim(`(${bytesInWords(bytes.length)}, not valid UTF-8: shown as hex; --raw writes the bytes)`)}`);
    lines.push(...hexDump(bytes.subarray(0, 512)).map((l) => `  ${l}`));
    if (bytes.length > 512) lines.push(c.dim(`  … ${bytesInWords(bytes.length - 512)} more`));
  } else {
    const text = r.body ?? '';
    const json = parseJson(text) !== null || text.trim() === 'null' ? prettyJson(text) : undefined;
    lines.push(`${c.bold('Body')} ${c.dim(`(${bytesInWords(bytes.length)}${json === undefined ? ', not JSON' : ', JSON'})`)}`);
    const shown = json ?? text;
    lines.push(shown.length > SHOW_BODY_BYTES ? `${shown.slice(0, SHOW_BODY_BYTES)}\n${c.dim('… (cut; --raw for all of it)')}` : shown);
  }

  lines.push('', `${c.bold('Delivery attempts')} ${c.dim(`(${ev.attempts})`)}`);
  if (ev.attempts === 0) {
    lines.push(c.dim(r.status === 'accepted' ? '  none yet (no --forward-to, or still queued)' : `  none (${r.status} requests are not forwarded)`));
  }
  if (ev.attempts > ev.deliveries.length) lines.push(c.dim(`  … ${ev.attempts - ev.deliveries.length} older attempts not shown`));
  const lineOptions = { date: true, target: true, ...(r.type === undefined ? {} : { type: r.type }) };
  // The app's answer under each HTTP attempt (a command's stderr is summed up per route below).
  const answer = (d: DeliveryRecord, indent: string): string[] =>
    d.response === undefined || !d.target.startsWith('http') ? [] : answerLines(d.response, c).map((l) => `${indent}${l}`);
  const groups = attemptsByRoute(ev.deliveries);
  const routed = r.routes !== undefined || !groups.has('') || groups.size > 1;
  if (!routed) for (const d of ev.deliveries) lines.push(`  ${formatEventLine(d, c, lineOptions)}`, ...answer(d, '      '));
  else {
    // One group per route, those the event was dispatched to first (a route with no attempt yet says so).
    for (const route of new Set([...(r.routes ?? []), ...groups.keys()])) {
      const attempts = groups.get(route) ?? [];
      const last = attempts[attempts.length - 1];
      lines.push(`  ${c.bold(route === '' ? '(no route)' : `route ${route}`)}  ${last ? colourStatus(last.status, c) : c.dim('pending')}`);
      if (attempts.length === 0) lines.push(c.dim('    no attempt yet'));
      for (const d of attempts) lines.push(`    ${formatEventLine(d, c, { ...lineOptions, target: false })}`, ...answer(d, '        '));
      // What a failing command said: the end of its stderr, kept with the attempt.
      const said = last?.status !== 'delivered' && last?.target.startsWith('exec:') ? last.response?.body.trim().split('\n').pop() : undefined;
      if (said) lines.push(c.dim(`    stderr: ${said.slice(-200)}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Shown per attempt; --json has all of what was kept. */
const SHOW_ANSWER_CHARS = 4096;

/** The app's answer to one attempt: its headers, then its body (JSON re-indented). */
function answerLines(answer: AttemptResponse, c: ChalkInstance): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(answer.headers ?? {})) out.push(c.dim(`< ${name}: ${value}`));
  const text = answer.body;
  if (text === '') {
    out.push(c.dim('< (empty body)'));
    return out;
  }
  const shown = parseJson(text) !== null ? prettyJson(text) : text;
  const cut = shown.length > SHOW_ANSWER_CHARS;
  out.push(...(cut ? shown.slice(0, SHOW_ANSWER_CHARS) : shown).split('\n'));
  if (cut || answer.truncated) {
    out.push(c.dim(`… (${answer.truncated ? 'the answer was longer than 64 KiB; the first 64 KiB were kept' : 'cut here'}; --json shows all that was kept)`));
  }
  return out;
}

/**
 * Re-indent JSON text without parsing its values, so what is shown is what was sent: JSON.parse would round
 * numbers beyond 2^53 and drop duplicate keys.
 */
export function prettyJson(text: string, indent = '  '): string {
  let out = '';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    switch (ch) {
      case '"':
        inString = true;
        out += ch;
        break;
      case '{':
      case '[': {
        // Empty containers stay on one line.
        let j = i + 1;
        while (j < text.length && /\s/.test(text[j]!)) j++;
        if (text[j] === (ch === '{' ? '}' : ']')) {
          out += ch === '{' ? '{}' : '[]';
          i = j;
        } else {
          depth++;
          out += `${ch}\n${indent.repeat(depth)}`;
        }
        break;
      }
      case '}':
      case ']':
        depth = Math.max(0, depth - 1);
        out += `\n${indent.repeat(depth)}${ch}`;
        break;
      case ',':
        out += `,\n${indent.repeat(depth)}`;
        break;
      case ':':
        out += ': ';
        break;
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        break;
      default:
        out += ch;
    }
  }
  return out;
}

function hexDump(bytes: Buffer): string[] {
  const rows: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    rows.push(`${off.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return rows;
}
