// The pure side of --queue: a Redis URL checked, and --retain parsed. No Redis client is loaded here, so `dev` can
// check its flags without paying for one.
import { UsageError } from '../../errors.js';

export interface QueueTarget {
  /** The URL to connect to (with redis+cluster://, the first seed's as a redis:// URL). */
  url: string;
  /** host:port (and /db), never the password: for messages. */
  where: string;
  tls: boolean;
  /** redis+cluster://: each seed node's URL (credentials included); a cluster client is used without asking. */
  seeds?: string[];
}

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\//i;

/** Check a --queue / ETSYHOOK_QUEUE value; UsageError (exit 2) when it is not a Redis URL. */
export function parseQueueUrl(raw: string, flag = '--queue'): QueueTarget {
  if (CLUSTER_SCHEME.test(raw.trim())) return parseClusterUrl(raw.trim(), flag);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`${flag} must be a Redis URL such as redis://127.0.0.1:6379, got '${redact(raw)}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`${flag} must start with redis:// (or rediss:// for TLS, redis+cluster:// for several cluster nodes), got '${url.protocol}//…'`, 'e.g. --queue redis://127.0.0.1:6379/0');
  }
  if (url.hostname === '') throw new UsageError(`${flag} names no host: '${redact(raw)}'`, 'e.g. --queue redis://127.0.0.1:6379');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new UsageError(`${flag}: the database after the host must be a number such as /0, got '/${db}'`);
  const port = url.port === '' ? '6379' : url.port;
  return { url: url.href, where: `${url.hostname}:${port}${db === '' ? '' : `/${db}`}`, tls: url.protocol === 'rediss:' };
}

/**
 * `redis+cluster://[user:password@]host1:port1,host2:port2[/0]` (rediss+cluster:// for TLS): the seed nodes of a
 * Redis Cluster. Parsed by hand: `new URL` refuses a list of hosts.
 */
function parseClusterUrl(raw: string, flag: string): QueueTarget {
  const example = 'e.g. --queue redis+cluster://10.0.0.1:7000,10.0.0.2:7000';
  const m = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]*)(\/[^?#]*)?$/i.exec(raw);
  if (!m) throw new UsageError(`${flag} is not a redis+cluster:// URL: '${redact(raw)}'`, example);
  const scheme = m[1]!.toLowerCase();
  const auth = m[2] === undefined ? '' : `${m[2]}@`;
  const db = (m[4] ?? '').replace(/^\//, '');
  if (db !== '' && db !== '0') throw new UsageError(`${flag}: a Redis Cluster has only database 0, got '/${db}'`, example);
  if (m[3]!.trim() === '') throw new UsageError(`${flag} names no host: '${redact(raw)}'`, example);
  const hosts = m[3]!.split(',').map((h) => h.trim());
  const seeds: string[] = [];
  const where: string[] = [];
  for (const h of hosts) {
    const hp = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(h);
    const port = hp?.[2] === undefined ? 6379 : Number(hp[2]);
    if (!hp || port < 1 || port > 65_535) {
      throw new UsageError(`${flag}: '${h}' in the redis+cluster:// URL is not host:port (seeds are separated by commas)`, example);
    }
    try {
      seeds.push(new URL(`${scheme}://${auth}${hp[1]}:${port}`).href);
    } catch {
      throw new UsageError(`${flag}: '${redact(`${scheme}://${auth}${h}`)}' is not a Redis URL`, example);
    }
    where.push(`${hp[1]}:${port}`);
  }
  return { url: seeds[0]!, where: where.join(','), tls: scheme === 'rediss', seeds };
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
export const DEFAULT_RETENTION: Retention = { ms: 7 * 86_400_000, count: 1_000_000 };

/** `--retain`: a duration (7d), a number of events (1000000), or both (7d,1000000). */
export function parseRetain(raw: string | undefined, parseDurationMs: (name: string, raw: string) => number): Retention {
  if (raw === undefined) return { ...DEFAULT_RETENTION };
  const out = { ...DEFAULT_RETENTION };
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (/^\d+$/.test(part)) {
      out.count = Number(part);
      if (out.count < 1) throw new UsageError(`--retain: keep at least 1 event, got '${raw}'`);
    } else {
      out.ms = parseDurationMs('--retain', part);
      if (out.ms <= 0) throw new UsageError(`--retain must be more than zero, got '${raw}'`);
    }
  }
  return out;
}
