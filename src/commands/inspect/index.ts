// `etsyhook inspect`: the web inspector over the stored events (the file log, or a shared Redis history), without a
// receiver.
import type { Command } from '../shared/commander.js';
import { DEFAULT_INSPECT_PORT } from '../../core/defaults.js';
import { OperationError } from '../../errors.js';
import { parseQueueUrl, type QueueTarget } from '../../core/queue/url.js';
import { openHistory } from '../../core/history/index.js';
import { context } from '../shared/context.js';
import { portOption, secretOption } from '../shared/flags.js';
import { lifecycle } from '../shared/lifecycle.js';
import { queueOption, queueUrl } from '../shared/queue.js';
import { webhookSecret } from '../shared/secret.js';
import { portMovedNote } from '../../ui/words.js';

interface InspectFlags {
  inspectPort: number;
  queue?: string;
  secret?: string;
}

export interface InspectOptions {
  port: number;
  /** The default port, or one given, moves to the next free one when taken (0: any free port). */
  nextFreePort: boolean;
  secret: string | undefined;
  /** --queue / ETSYHOOK_QUEUE: the shared Redis history instead of the events under ETSYHOOK_HOME. */
  queue?: QueueTarget;
}

/** The flags (and ETSYHOOK_QUEUE) into what the inspector needs; a UsageError for anything it cannot use. */
export function parseInspectOptions(flags: InspectFlags, env: NodeJS.ProcessEnv = process.env): InspectOptions {
  const queueRaw = queueUrl(flags.queue, env);
  const queue = queueRaw === undefined ? undefined : parseQueueUrl(queueRaw);
  return { port: flags.inspectPort, nextFreePort: true, secret: flags.secret?.trim(), ...(queue === undefined ? {} : { queue }) };
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('a local web page to see, search and replay every stored webhook (live as they arrive)')
    .addOption(portOption('--inspect-port <port>', 'port on 127.0.0.1 (the next free one if taken; 0 picks any)').default(DEFAULT_INSPECT_PORT))
    .addOption(queueOption('read a shared queue instead of the events under ETSYHOOK_HOME (env ETSYHOOK_QUEUE)'))
    .addOption(secretOption('--secret <secret>', 'for re-signed replays and expected signatures (default: ETSY_WEBHOOK_SECRET, else the stored one)'))
    .addHelpText(
      'after',
      `
The page lists events newest first and adds new ones as a receiver stores them; filter by type and status, search
ids, webhook-ids and body text; j/k or arrows move, Enter opens, r replays, / searches. It listens on loopback only
and refuses other Host names and other origins; the signing secret never reaches the page.
The JSON API it uses: GET /api/events, GET /api/events/:id, POST /api/events/:id/replay, GET /api/stream (SSE).
Stop with Ctrl-C (exit 130).

Examples:
  $ etsyhook inspect                        then open http://127.0.0.1:4040/
  $ etsyhook inspect --inspect-port 4141
  $ etsyhook inspect --queue redis://127.0.0.1:6379   what every serve, worker and dev --queue records`,
    )
    .action(async (_o: InspectFlags, cmd: Command) => {
      const { opts, out } = context<InspectFlags>(cmd);
      const options = parseInspectOptions(opts);
      const life = lifecycle();
      const secret = (await webhookSecret(options.secret))?.value;
      const { openInspector } = await import('../../inspector/index.js');
      let badLines = 0;
      const history = await openHistory({
        queue: options.queue,
        onBadLine: () => void badLines++,
        onFollowError: (err) => out.warn(`lost ${history.name} while following it: ${err.message.split('\n')[0]}; retrying`),
      });
      const inspector = await openInspector({
        port: options.port,
        nextFreePort: options.nextFreePort,
        history,
        ...(secret === undefined ? {} : { secret }),
      }).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        throw new OperationError(`port ${options.port} and the ones after it are taken`, { hint: 'pass --inspect-port N (0 picks any free port)' });
      });
      const moved = out.c.dim(portMovedNote(options.port, inspector.port));
      out.info(`${out.c.bold('Inspector:')} ${inspector.url}${moved}`);
      out.info(out.c.dim(`  events in ${history.where}${secret === undefined ? '; no signing secret: re-signed replays are off' : ''}. Ctrl-C to stop.`));
      await life.stopped;
      await inspector.close();
      out.info(`stopped: the inspector at ${inspector.url} is closed`);
      if (badLines > 0) out.warn(`skipped ${badLines} unreadable record(s) in the event store: a write torn by a crash, or corruption`);
      life.end();
    });
}
