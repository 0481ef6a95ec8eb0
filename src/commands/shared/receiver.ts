// The receiver's flags, declared once for the two commands that run one: dev and serve.
import type { Command } from './commander.js';
import { parseHost, parseWebhookPath } from '../../parse.js';
import { formatSize } from '../../format.js';
import { DEFAULT_MAX_BODY, DEFAULT_TOLERANCE_SECONDS, DEFAULT_WEBHOOK_PATH } from '../../core/defaults.js';
import type { Scheme } from '../../core/receive/signature.js';
import { intOption, listOption, parsedOption, portOption, schemeOption, secretOption, sizeOption } from './flags.js';

/** The receiver's flags, as dev and serve both take them. */
export interface ReceiverFlags {
  host: string;
  port: number;
  path: string;
  secret?: string;
  scheme?: Scheme;
  tolerance: number;
  maxBody: number;
  events?: string[];
}

/** What differs between dev's and serve's receiver flags: the defaults and a few words of help. */
export interface ReceiverFlagHelp {
  host: string;
  port: number;
  /** After "signing secret ": where it comes from when the flag is left out. */
  secret: string;
  /** After "event types to ": what happens to the chosen ones, and to the others. */
  events: string;
}

/** Add the receiver's flags (host, port, path, secret, scheme, tolerance, max-body, events) to `cmd`. */
export function addReceiverFlags(cmd: Command, help: ReceiverFlagHelp): Command {
  return cmd
    .addOption(parsedOption('--host <host>', 'interface to listen on', parseHost).default(help.host))
    .addOption(portOption('--port <port>', 'port to listen on (0 picks a free one)').default(help.port))
    .addOption(parsedOption('--path <path>', 'path that receives webhooks', parseWebhookPath).default(DEFAULT_WEBHOOK_PATH))
    .addOption(secretOption('--secret <secret>', `signing secret ${help.secret}`))
    .addOption(schemeOption('--scheme <scheme>', 'accept only standard or legacy signatures (default: detected from the headers)'))
    .addOption(intOption('--tolerance <seconds>', 'accept signed timestamps this many seconds old or ahead').default(DEFAULT_TOLERANCE_SECONDS))
    .addOption(sizeOption('--max-body <size>', 'largest body accepted, e.g. 1mb, 256kb').default(DEFAULT_MAX_BODY, formatSize(DEFAULT_MAX_BODY)))
    .addOption(listOption('--events <list>', `event types to ${help.events}`));
}

