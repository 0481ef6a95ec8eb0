// `etsyhook sandbox` for a test: started through the built CLI in the test's home on port 0 with --json, its first
// stdout line read back (the credentials), killed when the test's scope ends.
import { cleanEnv, startCli, type Proc } from './process.mjs';
import type { Scope } from './scope.js';
import type { Home } from './dev.js';
import { waitFor } from './http.js';
import type { SandboxRecord } from '../../src/core/events/record.js';

/** The first stdout line of `etsyhook sandbox --json` (the record schema's `sandbox` kind). */
export type SandboxInfo = SandboxRecord;

export interface Sandbox extends Proc {
  info: SandboxInfo;
  /** http://127.0.0.1:PORT */
  origin: string;
  home: string;
  /** The CLI's environment in this home, pointed at this sandbox (ETSYHOOK_SANDBOX, ETSY_API_BASE …). */
  env: NodeJS.ProcessEnv;
  /** A request to the API with the app's key and the banner's token (override headers to test auth). */
  api: (path: string, init?: { method?: string; body?: string; headers?: Record<string, string> }) => Promise<{ status: number; body: any; headers: Headers }>;
  /** POST /_sandbox/…, the answer's JSON. */
  control: (path: string, body?: Record<string, unknown>) => Promise<{ status: number; body: any }>;
  /** The NDJSON records printed so far (after the first line). */
  records: () => Record<string, any>[];
}

export async function startSandbox(scope: Scope, home: Home | string, args: string[] = []): Promise<Sandbox> {
  const dir = typeof home === 'string' ? home : home.dir;
  const proc = await startCli(['sandbox', '--port', '0', '--json', ...args], { env: cleanEnv(dir), ready: /Ctrl-C to stop/ });
  scope.push(() => proc.stop('SIGKILL'));
  const first = await waitFor('the sandbox line', () => proc.stdout().split('\n')[0] || undefined);
  const info = JSON.parse(first) as SandboxInfo;
  const origin = new URL(info.apiBase).origin;
  const api: Sandbox['api'] = async (path, init = {}) => {
    const url = path.startsWith('http') ? path : `${info.apiBase}${path}`;
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { 'x-api-key': `${info.keystring}:${info.sharedSecret}`, authorization: `Bearer ${info.accessToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
  };
  const control: Sandbox['control'] = async (path, body = {}) => {
    const res = await fetch(`${origin}/_sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const env = cleanEnv(dir, { ETSYHOOK_SANDBOX: origin, ETSY_API_BASE: info.apiBase });
  const records = (): Record<string, any>[] =>
    proc
      .stdout()
      .split('\n')
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);
  return { ...proc, info, origin, home: dir, env, api, control, records };
}

/** The environment the sandbox's banner gives an app (ETSY_API_KEY, ETSY_ACCESS_TOKEN …) in `home`. */
export function appEnv(sb: Sandbox, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cleanEnv(sb.home, {
    ETSY_API_BASE: sb.info.apiBase,
    ETSY_API_KEY: sb.info.keystring,
    ETSY_SHARED_SECRET: sb.info.sharedSecret,
    ETSY_ACCESS_TOKEN: sb.info.accessToken,
    ETSY_SHOP_ID: String(sb.info.shopId),
    ...extra,
  });
}
