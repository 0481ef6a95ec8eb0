// The route table `dev` prints at start: one line per route, targets with their secrets masked.
import type { ChalkInstance } from 'chalk';
import type { Route } from '../core/delivery/routes.js';
import { plural } from '../format.js';

export function routeTable(routes: readonly Route[], c: ChalkInstance, defaults: { timeoutMs: number; maxAttempts: number }): string[] {
  const width = Math.min(28, Math.max(...routes.map((r) => r.events.join(', ').length)));
  return routes.map((r) => {
    const notes = [`timeout ${seconds(r.timeoutMs ?? defaults.timeoutMs)}`, plural(r.maxAttempts ?? defaults.maxAttempts, 'attempt')];
    if (r.priority !== undefined) notes.push(`priority ${r.priority}`);
    if (r.template !== undefined) notes.push('template');
    return `${r.events.join(', ').padEnd(width)}  → ${r.targetLabel}  ${c.dim(`(${notes.join(', ')})`)}`;
  });
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${+(ms / 1000).toFixed(1)} s` : `${+(ms / 60_000).toFixed(1)} min`;
}
