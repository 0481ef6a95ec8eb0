// `etsyhook events …`: the event-type catalog, and what the receiver stored.
import type { Command } from 'commander';
import { context } from './common.js';

export function register(program: Command): void {
  const events = program
    .command('events')
    .description('inspect stored events, and the catalog of event types')
    .addHelpText('after', '\nExamples:\n  $ etsyhook events types\n  $ etsyhook events types --json');

  events
    .command('types')
    .description('list the event types etsyhook knows (Etsy\'s order.* events and the seed chapter\'s)')
    .addHelpText('after', '\nExample:\n  $ etsyhook events types --json | jq -r \'.[].name\'')
    .action(async (_opts: object, cmd: Command) => {
      const { out } = context(cmd);
      const { EVENT_TYPES } = await import('../core/catalog.js');
      if (out.json) {
        out.data(EVENT_TYPES.map(({ name, source, description }) => ({ name, source, description })));
        return;
      }
      const width = Math.max(...EVENT_TYPES.map((t) => t.name.length));
      for (const t of EVENT_TYPES) out.line(`${t.name.padEnd(width)}  ${t.source.padEnd(4)}  ${t.description}`);
    });
}
