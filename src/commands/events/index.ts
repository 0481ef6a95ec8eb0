// `etsyhook events list|show|clear|types`: what the receiver stored, and the event-type catalog.
import type { Command } from '../shared/commander.js';
import { context } from '../shared/context.js';
import { registerClear } from './clear.js';
import { registerList } from './list.js';
import { registerShow } from './show.js';
import { listTypes } from './types.js';

export function register(program: Command): void {
  const events = program
    .command('events')
    .description('inspect stored events, and the catalog of event types')
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook events list --type 'order.*' --since 2h
  $ etsyhook events show evt_4k2j                    a unique prefix is enough
  $ etsyhook events show evt_4k2j --raw > fixture.json
  $ etsyhook events types --json`,
    );

  registerList(events);
  registerShow(events);
  registerClear(events);
  events
    .command('types')
    .description("list the event types etsyhook knows: Etsy's, those Etsy announced, and the seed chapter's")
    .addHelpText('after', "\nThe source column: etsy = documented and delivered by Etsy today; announced = announced by Etsy for\nwebhooks, not yet in its reference; seed = the seed chapter's receiver only.\n\nExample:\n  $ etsyhook events types --json | jq -r '.[] | select(.source == \"etsy\") | .name'")
    .action((_flags: object, cmd: Command) => listTypes(context(cmd).out));
}
