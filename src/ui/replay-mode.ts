// What `replay` says it sends: byte-exact or re-signed for http(s) targets; for a route to a command, Slack or
// Pushover, what that target gets instead (never "signature headers" to a Slack webhook).
import type { Resign } from '../core/delivery/replay.js';
import type { Target } from '../core/delivery/routes.js';

type Kind = Target['kind'];

const ROUTE_WORDS: Readonly<Record<Exclude<Kind, 'http'>, string>> = {
  exec: "the original body on the command's stdin",
  slack: "as a Slack message (the route's template, or a line naming the event)",
  pushover: "as a Pushover notification (the route's template, or a line naming the event)",
};

const FOR: Readonly<Record<Kind, string>> = { http: 'http(s) targets', exec: 'exec: routes', slack: 'slack: routes', pushover: 'pushover: routes' };

/** The words for how `kinds` of targets are sent to (one kind: its words alone; several: each named). */
export function describeReplayMode(resign: Resign | undefined, secretOrigin: string, hasWebhookIds: boolean, kinds: readonly Kind[]): string {
  const unique = [...new Set(kinds.length === 0 ? (['http'] as Kind[]) : kinds)];
  const words = (k: Kind): string => (k === 'http' ? httpMode(resign, secretOrigin, hasWebhookIds) : ROUTE_WORDS[k]);
  if (unique.length === 1) return words(unique[0]!);
  return unique.map((k) => `${words(k)} for ${FOR[k]}`).join('; ');
}

function httpMode(resign: Resign | undefined, secretOrigin: string, hasWebhookIds: boolean): string {
  if (!resign) return 'byte-exact (original body and signature headers)';
  // Only events that arrived with a webhook-id keep one (the legacy scheme has none).
  const legacy = resign.scheme === 'legacy';
  const id = resign.newId && !legacy ? ' (a new webhook-id)' : hasWebhookIds && !legacy ? ' (webhook-id kept)' : '';
  return `re-signed with a fresh timestamp and the secret from ${secretOrigin}${id}`;
}
