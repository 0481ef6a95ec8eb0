// events types: the catalog of event types etsyhook knows.
import { catalogEntries, SOURCE_NOTES } from '../../core/events/catalog.js';
import type { Output } from '../../ui/output.js';

export function listTypes(out: Output): void {
  const entries = catalogEntries();
  if (out.json) {
    out.data(entries);
    return;
  }
  const width = Math.max(...entries.map((t) => t.name.length));
  const sourceWidth = Math.max(...entries.map((t) => t.source.length));
  for (const t of entries) out.line(`${t.name.padEnd(width)}  ${t.source.padEnd(sourceWidth)}  ${t.description}`);
  // What the source column means, for humans (stderr: stdout stays the table).
  out.info('');
  for (const [source, note] of Object.entries(SOURCE_NOTES)) out.info(`${source.padEnd(sourceWidth)}  ${note}`);
}
