// The public tunnel to the local receiver: ngrok by default, replaceable by tests through ETSYHOOK_TUNNEL.
//
// Test hook (documented, not a user feature):
//   ETSYHOOK_TUNNEL=fake                  a fake tunnel, no network; its URL is ETSYHOOK_FAKE_TUNNEL_URL
//                                         (default https://etsyhook-fake.ngrok.app)
//   ETSYHOOK_FAKE_TUNNEL_DROP_MS=N        the fake drops N ms after opening …
//   ETSYHOOK_FAKE_TUNNEL_BACK_MS=M        … and comes back M ms after dropping (never, when unset)
//   ETSYHOOK_TUNNEL_GIVE_UP_MS=N          how long a dropped tunnel may try to reconnect before dev exits 1 (default 60 s)
//   ETSYHOOK_NGROK_SERVER_ADDR=host:port  the real ngrok module dials this instead of ngrok's service (error-path tests)
// ETSYHOOK_TUNNEL takes only `fake` or `ngrok`: it once imported any module path given, i.e. ran arbitrary code.
import { fork } from 'node:child_process';
import { OperationError, UsageError } from '../../errors.js';

export interface Tunnel {
  /** The public base URL, e.g. https://abcd-1-2-3-4.ngrok-free.app (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

export type TunnelStatus =
  | { kind: 'disconnected'; error?: string }
  | { kind: 'reconnected' }
  /** Reconnection did not succeed within the give-up window: the tunnel is gone. */
  | { kind: 'failed'; error: string };

export interface TunnelOptions {
  authtoken?: string;
  domain?: string;
  /** Deadline for the first connection; default 10 s. */
  connectTimeoutMs?: number;
  /** How long a dropped tunnel may try to come back before it is reported failed; default 60 s. */
  giveUpMs?: number;
  onStatus?: (status: TunnelStatus) => void;
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_GIVE_UP_MS = 60_000;

/** What a tunnel provider reports; `supervise` turns it into the public TunnelStatus with a give-up deadline. */
type RawStatus = 'closed' | 'connected';

export const NO_AUTHTOKEN_HINT =
  'set NGROK_AUTHTOKEN or run `etsyhook config set ngrok-authtoken <token>` (https://dashboard.ngrok.com/get-started/your-authtoken), or use --no-tunnel';

/** Open the tunnel to `host:port`. Throws OperationError with one line saying what failed and how to fix it. */
export async function openTunnel(port: number, host: string, options: TunnelOptions = {}): Promise<Tunnel> {
  const env = options.env ?? process.env;
  const which = env.ETSYHOOK_TUNNEL ?? '';
  const giveUpMs = positive(env.ETSYHOOK_TUNNEL_GIVE_UP_MS) ?? options.giveUpMs ?? DEFAULT_GIVE_UP_MS;
  const supervised = { ...options, giveUpMs };
  if (which === 'fake') return openFake(env, supervised);
  if (which !== '' && which !== 'ngrok') {
    throw new UsageError(`ETSYHOOK_TUNNEL must be fake or ngrok, got '${which}'`, 'unset it to use ngrok');
  }
  return openNgrok(port, host, supervised);
}

function positive(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Turn raw closed/connected signals into disconnected/reconnected/failed, with a deadline on reconnection. */
function supervise(options: TunnelOptions): { raw: (s: RawStatus, error?: string) => void; stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let down = false;
  let stopped = false;
  let lastError: string | undefined;
  const giveUpMs = options.giveUpMs ?? DEFAULT_GIVE_UP_MS;
  return {
    raw: (s, error) => {
      if (stopped) return;
      if (error !== undefined) lastError = error;
      if (s === 'closed') {
        if (down) return;
        down = true;
        options.onStatus?.({ kind: 'disconnected', ...(error === undefined ? {} : { error }) });
        timer = setTimeout(() => {
          stopped = true;
          const why = lastError ? `: ${lastError}` : '';
          options.onStatus?.({ kind: 'failed', error: `the tunnel dropped and did not come back within ${Math.round(giveUpMs / 1000)} s${why}` });
        }, giveUpMs);
      } else if (down) {
        down = false;
        clearTimeout(timer);
        options.onStatus?.({ kind: 'reconnected' });
      }
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function openFake(env: NodeJS.ProcessEnv, options: TunnelOptions): Tunnel {
  const url = (env.ETSYHOOK_FAKE_TUNNEL_URL || 'https://etsyhook-fake.ngrok.app').replace(/\/+$/, '');
  const sup = supervise(options);
  const timers: NodeJS.Timeout[] = [];
  const dropMs = positive(env.ETSYHOOK_FAKE_TUNNEL_DROP_MS);
  const backMs = positive(env.ETSYHOOK_FAKE_TUNNEL_BACK_MS);
  if (dropMs !== undefined) {
    timers.push(
      setTimeout(() => {
        sup.raw('closed', 'fake tunnel dropped');
        if (backMs !== undefined) timers.push(setTimeout(() => sup.raw('connected'), backMs));
      }, dropMs),
    );
  }
  return {
    url,
    close: async () => {
      sup.stop();
      for (const t of timers) clearTimeout(t);
    },
  };
}

async function openNgrok(port: number, host: string, options: TunnelOptions): Promise<Tunnel> {
  const env = options.env ?? process.env;
  const authtoken = options.authtoken?.trim();
  if (authtoken === undefined || authtoken === '') {
    throw new OperationError('no ngrok authtoken, so no public tunnel', { hint: NO_AUTHTOKEN_HINT });
  }
  const target = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const sup = supervise(options);
  // ngrok lives in a child process (see ngrok-agent.ts): a hung native connect can always be killed.
  const child = fork(new URL('./ngrok-agent.js', import.meta.url), [], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...env, NGROK_AUTHTOKEN: '' },
    serialization: 'json',
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  let opened = false;
  let closing = false;
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new OperationError(`could not reach ngrok within ${Math.round(timeoutMs / 1000)} s`, { hint: 'check the network connection, or use --no-tunnel' }));
    }, timeoutMs);
    child.on('message', (raw: unknown) => {
      const msg = raw as { type: string; url?: string | null; status?: string; message?: string; code?: string };
      if (msg.type === 'url') {
        clearTimeout(timer);
        if (!msg.url) {
          kill();
          reject(new OperationError('ngrok opened a tunnel without a public URL', { hint: 'try again, or use --no-tunnel' }));
          return;
        }
        opened = true;
        resolve(msg.url.replace(/\/+$/, ''));
      } else if (msg.type === 'error') {
        clearTimeout(timer);
        kill();
        const err = Object.assign(new Error(msg.message ?? 'unknown error'), msg.code ? { errorCode: msg.code } : {});
        reject(describeNgrokError(err, options.domain));
      } else if (msg.type === 'status' && opened) {
        sup.raw(msg.status === 'connected' ? 'connected' : 'closed');
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new OperationError(`cannot start the ngrok agent: ${firstLine(err)}`, { hint: 'use --no-tunnel', cause: err }));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!opened) {
        const why = firstLine(stderr.trim().split('\n').filter((l) => /error/i.test(l)).pop() ?? stderr.trim()) || `exit ${code ?? signal}`;
        reject(new OperationError(`the ngrok agent stopped before the tunnel opened: ${why}`, { hint: 'use --no-tunnel' }));
      } else if (!closing) {
        sup.stop();
        options.onStatus?.({ kind: 'failed', error: `the ngrok agent stopped unexpectedly (${code ?? signal})` });
      }
    });
    child.send({
      type: 'open',
      addr: `${target.includes(':') ? `[${target}]` : target}:${port}`,
      authtoken,
      ...(options.domain ? { domain: options.domain } : {}),
      // Test hook: point the real module at a local address (e.g. one that never answers) to exercise its error paths.
      ...(env.ETSYHOOK_NGROK_SERVER_ADDR ? { serverAddr: env.ETSYHOOK_NGROK_SERVER_ADDR } : {}),
    });
  }).catch((err: unknown) => {
    sup.stop();
    throw err;
  });

  return {
    url,
    close: async () => {
      closing = true;
      sup.stop();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      if (child.connected) child.send({ type: 'close' });
      const timer = setTimeout(kill, 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return (m.split('\n')[0] ?? m).trim();
}

/** One line for the usual failures: refused token, reserved domain, no network. */
export function describeNgrokError(err: unknown, domain?: string): OperationError {
  const code = (err as { errorCode?: string }).errorCode;
  const message = firstLine(err);
  const lower = message.toLowerCase();
  if (code === 'ERR_NGROK_105' || code === 'ERR_NGROK_107' || lower.includes('authtoken') || lower.includes('authentication failed')) {
    return new OperationError(`ngrok refused the authtoken (${code ?? message})`, {
      hint: 'check it at https://dashboard.ngrok.com/get-started/your-authtoken and run `etsyhook config set ngrok-authtoken <token>`, or use --no-tunnel',
      cause: err,
    });
  }
  if (code === 'ERR_NGROK_108') {
    return new OperationError('ngrok: your account is already running its maximum number of agent sessions (ERR_NGROK_108)', {
      hint: 'stop the other ngrok agent, or use --no-tunnel',
      cause: err,
    });
  }
  if (domain && (lower.includes('domain') || lower.includes('hostname') || code === 'ERR_NGROK_320' || code === 'ERR_NGROK_313')) {
    return new OperationError(`ngrok refused the domain ${domain}: ${message}`, {
      hint: 'reserve it at https://dashboard.ngrok.com/domains or drop --domain',
      cause: err,
    });
  }
  if (lower.includes('tcp connection') || lower.includes('dns') || lower.includes('resolve') || lower.includes('connect')) {
    return new OperationError(`could not reach ngrok: ${message}`, { hint: 'check the network connection, or use --no-tunnel', cause: err });
  }
  return new OperationError(`ngrok failed: ${message}${code ? ` (${code})` : ''}`, { hint: 'use --no-tunnel to receive locally only', cause: err });
}
