// The server's flags, each parsed into its typed value (a bad one is one line, exit 2).
import type { Command } from '../shared/commander.js';
import { intOption, parsedOption, urlOption } from '../shared/flags.js';
import { parseSecret, parseUrl } from '../../parse.js';
import { UsageError } from '../../errors.js';
import { DEFAULT_SANDBOX_PORT } from '../../core/defaults.js';
import { parseRetrySchedule, RetryScheduleError } from '../../core/delivery/retry.js';
import { isValidSecret } from '../../core/receive/signature.js';
import { parseRateLimit, type RateLimit } from '../../sandbox/rate.js';

export interface ServeOptions {
  port: number;
  host: string;
  publicUrl?: URL;
  secret?: string;
  webhook?: URL[];
  retrySchedule?: number[];
  rateLimit?: RateLimit;
  fresh?: boolean;
}

export function addServeOptions(cmd: Command): Command {
  return cmd
    .addOption(intOption('--port <port>', 'port to listen on (0 picks a free one)', { max: 65535 }).default(DEFAULT_SANDBOX_PORT))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .addOption(urlOption('--public-url <url>', 'where apps reach it, for apiBase and resource_url (default http://127.0.0.1:PORT)'))
    .addOption(parsedOption('--secret <secret>', 'webhook signing secret, whsec_… (default: the stored one, else a new one)', (raw, name) => {
      const s = parseSecret(raw, name);
      if (!isValidSecret(s, 'standard')) throw new UsageError(`${name} must be a whsec_ secret such as etsyhook dev --print-secret prints`);
      return s;
    }))
    .addOption(parsedOption<URL[]>('--webhook <url>', 'send every event to this endpoint for this run (repeatable)', (raw, name, prev) => [...(prev ?? []), parseUrl(raw, name)]))
    .addOption(parsedOption('--retry-schedule <delays>', "'etsy' (the default: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) or delays such as 0,1500ms,3s", (raw, name) => {
      try {
        return parseRetrySchedule(raw);
      } catch (err) {
        if (err instanceof RetryScheduleError) throw new UsageError(`${name}: ${err.message}`);
        throw err;
      }
    }))
    .addOption(parsedOption('--rate-limit <limits>', 'answer 429 past this rate, e.g. 10/s,10000/d (off by default)', (raw, name) => {
      const limit = parseRateLimit(raw);
      if (!limit) throw new UsageError(`${name} must be a per-second and a per-day limit such as 10/s,10000/d, got '${raw}'`);
      return limit;
    }))
    .option('--fresh', 'start again from the seed shop (the app credentials and webhook secret are kept)');
}
