// How one attempt reaches each kind of route target other than plain HTTP forwarding (which forwarder.ts does
// byte-exact): a local command (exec:), a Slack incoming webhook (slack:), Pushover's messages API (pushover:).
// Each returns what happened, never throws: the forwarder records it and retries.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { ReceivedRecord } from '../log/records.js';
import { bodyBytes } from '../log/records.js';
import { resourceUrlOf } from '../events/resource.js';
import type { AttemptResult, SendAttempt } from './attempt.js';
import type { Deliverer } from './http.js';
import type { Route, TEMPLATE_VARIABLES } from './routes.js';

/** Kept of a command's stderr: its end, where the error usually is. */
const STDERR_KEPT = 2_000;

export type TemplateValues = Record<(typeof TEMPLATE_VARIABLES)[number], string | undefined>;

/** What templates and commands are told about an event, read from its stored body. */
export function eventValues(event: ReceivedRecord): TemplateValues {
  let payload: Record<string, unknown> = {};
  try {
    const v = JSON.parse(bodyBytes(event).toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) payload = v as Record<string, unknown>;
  } catch {
    // Not JSON: only the record's own fields are known.
  }
  const resource = resourceUrlOf(event);
  const idIn = (re: RegExp): string | undefined => (resource === undefined ? undefined : re.exec(resource)?.[1]);
  const scalar = (v: unknown): string | undefined => (typeof v === 'number' || (typeof v === 'string' && v !== '') ? String(v) : undefined);
  return {
    type: event.type,
    id: event.id,
    webhook_id: event.webhookId,
    shop_id: scalar(payload.shop_id) ?? idIn(/\/shops\/(\d+)/),
    resource,
    receipt_id: idIn(/\/receipts\/(\d+)/),
    listing_id: idIn(/\/listings\/(\d+)/),
  };
}

/** The message a slack:/pushover: route sends: its template filled in, or a line naming type, shop and resource. */
export function messageText(route: Pick<Route, 'template'>, event: ReceivedRecord): string {
  const v = eventValues(event);
  if (route.template !== undefined) {
    return route.template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, name: string) => v[name as keyof TemplateValues] ?? '-');
  }
  const what = v.receipt_id ? `receipt ${v.receipt_id}` : v.listing_id ? `listing ${v.listing_id}` : undefined;
  return [`Etsy ${v.type ?? 'event'}`, v.shop_id ? `shop ${v.shop_id}` : undefined, what, v.resource].filter((p) => p !== undefined).join(' · ');
}

/** The sender for a non-HTTP route; undefined for http(s) routes (the forwarder's own byte-exact forwarding). */
export function routeSender(route: Route, deliverer: Pick<Deliverer, 'send'>, timeoutMs: number, running?: Set<number>): SendAttempt | undefined {
  const t = route.target;
  switch (t.kind) {
    case 'http':
      return undefined;
    case 'exec':
      return (event, body) => runCommand(t.argv, event, body, timeoutMs, running);
    case 'slack':
      return async (event) => {
        const body = Buffer.from(JSON.stringify({ text: messageText(route, event) }));
        return deliverer.send(t.url, { 'content-type': 'application/json' }, body, { timeoutMs });
      };
    case 'pushover':
      return async (event) => {
        const v = eventValues(event);
        const form = new URLSearchParams({ token: t.token, user: t.user, title: `etsyhook: ${v.type ?? 'event'}`, message: messageText(route, event) });
        if (route.priority !== undefined) form.set('priority', String(route.priority));
        // Emergency priority must say how often and how long Pushover repeats it.
        if (route.priority === 2) form.set('retry', '60'), form.set('expire', '3600');
        if (v.resource !== undefined && /^https?:/.test(v.resource)) form.set('url', v.resource);
        const result: AttemptResult = await deliverer.send(`${t.apiBase}/1/messages.json`, { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(form.toString()), {
          timeoutMs,
        });
        return pushoverVerdict(result);
      };
  }
}

/** Pushover answers {"status":1,"request":…} when it took the message; anything else is a failure, with its errors. */
function pushoverVerdict(result: AttemptResult): AttemptResult {
  if (result.status === undefined) return result;
  let answer: { status?: unknown; errors?: unknown } = {};
  try {
    answer = JSON.parse(result.response?.body ?? '') as typeof answer;
  } catch {
    // Not JSON (a proxy's error page): the HTTP status decides.
  }
  if (result.status >= 200 && result.status < 300 && answer.status === 1) return { ...result, ok: true };
  const errors = Array.isArray(answer.errors) ? answer.errors.filter((e): e is string => typeof e === 'string') : [];
  return { ...result, ok: false, error: errors.length > 0 ? `pushover: ${errors.join('; ')}` : `pushover answered ${result.status}` };
}

/**
 * Run a route's command, no shell: the exact body on stdin, the event named in the environment. Exit 0 is delivered;
 * a timeout kills the command and everything it started (its process group).
 */
export function runCommand(argv: readonly string[], event: ReceivedRecord, body: Buffer, timeoutMs: number, running?: Set<number>): Promise<AttemptResult> {
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  const v = eventValues(event);
  const env: NodeJS.ProcessEnv = { ...process.env, ETSYHOOK_EVENT_TYPE: v.type ?? '', ETSYHOOK_EVENT_ID: event.id, WEBHOOK_ID: v.webhook_id ?? '', ETSYHOOK_SHOP_ID: v.shop_id ?? '' };
  return new Promise((resolve) => {
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const finish = (result: Omit<AttemptResult, 'ms' | 'answered'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const kept = stderr.length > STDERR_KEPT ? `…${stderr.slice(-STDERR_KEPT)}` : stderr;
      // A command that ran, failed or not, is there: it never holds the route's queue like an unreachable app.
      resolve({ ...result, ms: ms(), answered: true, ...(kept.trim() === '' ? {} : { response: { body: kept } }) });
    };
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    if (child.pid !== undefined) running?.add(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 4 * STDERR_KEPT) stderr = stderr.slice(-STDERR_KEPT);
    });
    // A command that does not read its stdin closes the pipe: not an error of the delivery.
    child.stdin.on('error', () => {});
    child.stdin.end(body);
    child.on('error', (err: NodeJS.ErrnoException) => {
      finish({ ok: false, error: err.code === 'ENOENT' ? `command not found: ${argv[0]}` : err.code === 'EACCES' ? `permission denied: ${argv[0]}` : err.message });
    });
    child.on('exit', (code, signal) => {
      if (child.pid !== undefined) running?.delete(child.pid);
      const done = (): void => {
        if (timedOut) finish({ ok: false, error: `timed out after ${timeoutMs} ms (killed)` });
        else if (code === 0) finish({ ok: true });
        else finish({ ok: false, error: code !== null ? `exit code ${code}` : `killed by ${signal}` });
      };
      // The rest of its stderr, unless something it started in the background still holds the pipe open.
      if (child.stderr.readableEnded) done();
      else {
        child.stderr.once('end', done);
        setTimeout(done, 200).unref();
      }
    });
  });
}

/** Stop commands still running (their process groups): what a closing dispatcher could not wait for. */
export function killCommands(running: Set<number>): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  running.clear();
}
