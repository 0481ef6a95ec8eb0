// events types: the catalog of event types etsyhook knows.
import { EVENT_TYPES, SOURCE_NOTES } from '../../core/events/catalog.js';
import type { Output } from '../../ui/output.js';

export function listTypes(out: Output): void {
  if (out.json) {
    out.data(EVENT_TYPES.map(({ name, source, description }) => ({ name, source, description })));
    return;
  }
  const width = Math.max(...EVENT_TYPES.map((t) => t.name.length));
  const sourceWidth = Math.max(...EVENT_TYPES.map((t) => t.source.length));
  for (const t of EVENT_TYPES) out.line(`${t.name.padEnd(width)}  ${t.source.padEnd(sourceWidth)}  ${t.description}`);
  // What the source column means, for humans (stderr: stdout stays the table).
  out.info('');
  for (const [source, note] of Object.entries(SOURCE_NOTES)) out.info(`${source.padEnd(sourceWidth)}  ${note}`);
}

// ---- registration ----------------------------------------------------------------------------------------------
