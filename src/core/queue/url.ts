// The pure side of --queue: a Redis URL checked, and --retain parsed. No Redis client is loaded here, so `dev` can
// check its flags without paying for one.
import { UsageError } from '../../errors.js';
import { parseDuration } from '../../parse.js';
import { DEFAULT_RETENTION } from '../defaults.js';

export interface QueueTarget {
  url: string;
  /** host:port (and /db), never the password: for messages. */
  where: string;
  tls: boolean;
}

/** Check a --queue / ETSYHOOK_QUEUE value; UsageError (exit 2) when it is not a Redis URL. */
export function parseQueueUrl(raw: string, flag = '--queue'): QueueTarget {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`${flag} must be a Redis URL such as redis://127.0.0.1:6379, got '${redact(raw)}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`${flag} must start with redis:// (or rediss:// for TLS), got '${url.protocol}//…'`, 'e.g. --queue redis://127.0.0.1:6379/0');
  }
  if (url.hostname === '') throw new UsageError(`${flag} names no host: '${redact(raw)}'`, 'e.g. --queue redis://127.0.0.1:6379');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new UsageError(`${flag}: the database after the host must be a number such as /0, got '/${db}'`);
  const port = url.port === '' ? '6379' : url.port;
  return { url: url.href, where: `${url.hostname}:${port}${db === '' ? '' : `/${db}`}`, tls: url.protocol === 'rediss:' };
}

/** The URL without its password, for messages. */
export function redact(raw: string): string {
  return raw.replace(/\/\/([^@/]*)@/, (_m, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}

/** Retention: how long and how many records the history keeps. */
export interface Retention {
  ms: number;
  count: number;
}

/** `--retain`: a duration (7d), a number of events (1000000), or both (7d,1000000). */
export function parseRetain(raw: string | undefined, name = '--retain'): Retention {
  if (raw === undefined) return { ...DEFAULT_RETENTION };
  const out = { ...DEFAULT_RETENTION };
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (/^\d+$/.test(part)) {
      out.count = Number(part);
      if (out.count < 1) throw new UsageError(`${name}: keep at least 1 event, got '${raw}'`);
    } else {
      out.ms = parseDuration(part, name);
      if (out.ms <= 0) throw new UsageError(`${name} must be more than zero, got '${raw}'`);
    }
  }
  return out;
}
