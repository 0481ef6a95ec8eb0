// The control commands' side of /_sandbox/…: one POST to the running sandbox; its answer, or an OperationError in
// one line (nothing listening, or the sandbox refused the step).
import { OperationError } from '../errors.js';
import { networkFailure } from '../net-errors.js';

export const DEFAULT_SANDBOX_URL = 'http://127.0.0.1:5100';

export async function controlRequest(base: URL, path: string, body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const url = new URL(path, base);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    const failure = networkFailure(err);
    const cause = (err as { cause?: { message?: string } }).cause;
    const why = failure?.system === 'ECONNREFUSED' ? 'nothing is listening there' : (failure?.reason ?? cause?.message ?? (err as Error).message);
    throw new OperationError(`cannot reach the sandbox at ${base.origin}: ${why}`, {
      hint: 'start it with etsyhook sandbox, or point --sandbox / ETSYHOOK_SANDBOX at it',
      code: failure?.code ?? 'failed',
    });
  }
  const text = await res.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OperationError(`the sandbox at ${base.origin} answered ${res.status} without JSON`, { hint: 'is --sandbox pointing at etsyhook sandbox?' });
  }
  const o = (value ?? {}) as Record<string, unknown>;
  if (!res.ok) throw new OperationError(`the sandbox refused: ${typeof o.error === 'string' ? o.error : `HTTP ${res.status}`}`);
  return o;
}
