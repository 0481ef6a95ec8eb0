// Which routes `replay` sends each event to. An event dispatched by routes goes again to its routes (with --failed,
// only those whose last attempt failed or went dead); routes given to replay (--route/--routes) stand in for recorded
// ones with the same label — that is how a Slack URL, never stored, comes back — and send elsewhere otherwise.
import { UsageError } from '../../errors.js';
import type { StoredEvent } from '../log/query.js';
import { attemptsByRoute } from '../log/query.js';
import { parseRouteFlag, type Route } from './routes.js';

export interface ReplayItem {
  event: StoredEvent;
  /** Undefined: replay as before routes (the --to URL or the recorded --forward-to). */
  route?: Route;
  /** This attempt's number: one more than the attempts the event has had (on this route). */
  attempt: number;
}

export interface ReplayPlanOptions {
  /** Routes given to replay (--route/--routes). */
  routes?: readonly Route[];
  /** --failed: on a routed event, only the routes that did not deliver. */
  onlyFailed: boolean;
  /** --to URL: every event there, routes or not. */
  to?: string;
  env?: NodeJS.ProcessEnv;
}

export function planReplay(events: readonly StoredEvent[], options: ReplayPlanOptions): ReplayItem[] {
  const items: ReplayItem[] = [];
  const rebuilt = new Map<string, Route>();
  for (const event of events) {
    const groups = attemptsByRoute(event.deliveries);
    const recorded = [...new Set([...(event.record.routes ?? []), ...[...groups.keys()].filter((k) => k !== '')])];
    const settled = (label: string): boolean => groups.get(label)?.at(-1)?.status === 'delivered';
    const attemptOn = (label: string): number => (groups.get(label)?.length ?? 0) + 1;
    // --to a route's own target is an attempt on that route; anywhere else, a replay of no route.
    const onRoute = options.to === undefined ? undefined : recorded.find((label) => sameUrl(label.slice(label.indexOf('=') + 1), options.to!));
    if (onRoute !== undefined) {
      if (options.onlyFailed && settled(onRoute)) continue;
      let route = rebuilt.get(onRoute);
      if (route === undefined) rebuilt.set(onRoute, (route = rebuildRoute(onRoute, options.env)));
      items.push({ event, route, attempt: attemptOn(onRoute) });
      continue;
    }
    if (options.to !== undefined || (recorded.length === 0 && options.routes === undefined)) {
      items.push({ event, attempt: event.attempts + 1 });
      continue;
    }
    if (options.routes !== undefined) {
      for (const route of options.routes) {
        if (!route.matches(event.record.type)) continue;
        if (options.onlyFailed && recorded.includes(route.label) && settled(route.label)) continue;
        items.push({ event, route, attempt: attemptOn(route.label) });
      }
      continue;
    }
    for (const label of recorded) {
      if (options.onlyFailed && settled(label)) continue;
      let route = rebuilt.get(label);
      if (route === undefined) {
        route = rebuildRoute(label, options.env);
        rebuilt.set(label, route);
      }
      items.push({ event, route, attempt: attemptOn(label) });
    }
  }
  return items;
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

/** A route from its recorded label; a usage error when the label lost its secret (a Slack URL) to masking. */
function rebuildRoute(label: string, env: NodeJS.ProcessEnv = process.env): Route {
  if (label.includes('…')) {
    throw new UsageError(`the route ${label} keeps no secret in the store, so replay cannot send to it by itself`, 'pass the same routes again: --routes FILE or --route GLOB=TARGET');
  }
  try {
    return parseRouteFlag(label, env);
  } catch (err) {
    const e = err as UsageError;
    throw new UsageError(`cannot replay to the recorded route ${label}: ${e.message.replace(/^--route '[^']*': /, '')}`, e.hint ?? 'pass the routes with --routes FILE or --route');
  }
}
