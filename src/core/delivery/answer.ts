// What a receiver's answer says beyond its status: `etsyhook dev` answers a webhook-id it already has with
// `{"status":"duplicate",…}` (older versions: `"verdict":"duplicate"`). Tiny on purpose: `send` loads it.

/** True when a 2xx body says the receiver already had this webhook-id (it acknowledged, but did not take it again). */
export function isDuplicateAnswer(status: number | undefined, body: string | undefined): boolean {
  if (status === undefined || status < 200 || status >= 300 || body === undefined) return false;
  // Cheap test first: most answers never mention it.
  if (!body.includes('duplicate')) return false;
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v !== 'object' || v === null) return false;
    const o = v as Record<string, unknown>;
    return o.status === 'duplicate' || o.verdict === 'duplicate';
  } catch {
    return false;
  }
}
