// Routes: which accepted events go where. `--route 'GLOB=TARGET'` (repeatable), `--routes FILE` (YAML or JSON) and
// `--forward-to URL` (= `--route '*=URL'`) become validated Route objects here, once, at start: a bad route is a
// usage error naming the file, the route and what to write instead, never a surprise at the first event.
import { accessSync, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../errors.js';
import { closeMatches, EVENT_TYPE_NAMES, replacementOf, withCurrentNames } from '../events/catalog.js';
import { typeMatcher } from '../events/globs.js';

export type Target =
  | { kind: 'http'; url: string }
  | { kind: 'exec'; command: string; argv: string[] }
  | { kind: 'slack'; url: string }
  | { kind: 'pushover'; token: string; user: string; apiBase: string };

export interface Route {
  /** Event-type globs; an event goes to every route one of whose globs matches its type. */
  events: string[];
  matches: (type: string | undefined) => boolean;
  target: Target;
  /** Message text for slack: and pushover: targets, with {{variables}} (see TEMPLATE_VARIABLES). */
  template?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  /** Pushover priority, -2 … 2. */
  priority?: number;
  /** How records and the terminal name this route: `GLOB=TARGET` with secrets masked. Stable across runs. */
  label: string;
  /** The target with secrets masked: what records keep. */
  targetLabel: string;
  /** Where the route was written: `--route`, `--forward-to`, or `FILE: route N`. */
  origin: string;
}

export interface RouteOptions {
  /** `--route` values, `GLOB=TARGET`. */
  route?: readonly string[];
  /** `--routes FILE`. */
  routes?: string;
  /** `--forward-to URL`: the route `*=URL`. */
  forwardTo?: string;
}

export interface RouteSet {
  routes: Route[];
  /** Things worth saying that do not stop the start (a glob that matches no known type). */
  warnings: string[];
}

/** Where a `pushover:` route sends (overridable for tests and proxies). */
export const PUSHOVER_API_ENV = 'ETSYHOOK_PUSHOVER_API';
export const PUSHOVER_API_DEFAULT = 'https://api.pushover.net';

/** Variables a slack:/pushover: template may use, as {{name}}. */
export const TEMPLATE_VARIABLES = ['type', 'id', 'webhook_id', 'shop_id', 'resource', 'receipt_id', 'listing_id'] as const;

const TARGET_HELP = 'write http(s)://URL, exec:COMMAND, slack:WEBHOOK_URL or pushover:';
const ROUTE_KEYS = ['events', 'to', 'template', 'timeout', 'max_attempts', 'priority'] as const;

/**
 * Every route the options describe, validated, in the order given: --forward-to, then --route flags, then the file.
 * `env` supplies PUSHOVER_TOKEN/PUSHOVER_USER, ${VAR} references in the file, and PATH for exec: commands.
 */
export function routesFromOptions(options: RouteOptions, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): RouteSet {
  const warnings: string[] = [];
  const routes: Route[] = [];
  if (options.forwardTo !== undefined) {
    routes.push(buildRoute({ events: ['*'], to: options.forwardTo }, { origin: '--forward-to', env, cwd, warnings }));
  }
  for (const raw of options.route ?? []) routes.push(parseRouteFlag(raw, env, cwd, warnings));
  if (options.routes !== undefined) routes.push(...readRoutesFile(options.routes, env, cwd, warnings));
  return { routes, warnings };
}

/** One `--route 'GLOB=TARGET'` value; GLOB may list several globs, comma-separated. */
export function parseRouteFlag(raw: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), warnings: string[] = []): Route {
  const eq = raw.indexOf('=');
  if (eq <= 0) {
    throw new UsageError(`--route '${raw}' is not GLOB=TARGET`, `write e.g. --route 'order.*=http://127.0.0.1:3000/orders'`);
  }
  const events = raw.slice(0, eq).split(',').map((g) => g.trim());
  return buildRoute({ events, to: raw.slice(eq + 1).trim() }, { origin: `--route '${maskRouteText(raw)}'`, env, cwd, warnings });
}

/** Routes from a YAML or JSON file: `routes: [{events, to, template?, timeout?, max_attempts?, priority?}]`. */
export function readRoutesFile(file: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), warnings: string[] = []): Route[] {
  const path = resolve(cwd, file);
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`--routes ${file} is a directory`, 'give the routes file (YAML or JSON)');
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`--routes ${file}: ${why}`, 'give a YAML or JSON file with a routes: list');
  }
  let doc: unknown;
  try {
    // JSON is YAML: one parser reads both, and its errors name the line.
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    const first = ((err as Error).message ?? String(err)).split('\n')[0]!.replace(/:\s*$/, '');
    // The two slips YAML makes easy: an unquoted `pushover:` and an unquoted glob starting with `*` (an alias).
    const hint = /nested mappings/i.test(first)
      ? 'quote a target that ends with a colon: to: "pushover:"'
      : /alias/i.test(first)
        ? "quote a glob that starts with *: events: ['*'] or events: ['*.created']"
        : 'fix the file (routes: followed by a list of {events, to})';
    throw new UsageError(`${file}: not valid YAML or JSON: ${first}`, hint);
  }
  if (doc === null || doc === undefined || typeof doc !== 'object' || Array.isArray(doc) || !('routes' in doc)) {
    throw new UsageError(`${file}: no routes: list at the top`, "write routes: followed by a list, e.g. routes: [{events: ['order.*'], to: 'http://127.0.0.1:3000/orders'}]");
  }
  const top = doc as Record<string, unknown>;
  const extra = Object.keys(top).filter((k) => k !== 'routes');
  if (extra.length > 0) throw new UsageError(`${file}: unknown top-level key '${extra[0]}'`, 'the file holds one key, routes:');
  const list = top.routes;
  if (!Array.isArray(list) || list.length === 0) {
    throw new UsageError(`${file}: routes: must be a non-empty list`, "write each route as {events: ['order.*'], to: TARGET}");
  }
  return list.map((item, i) => {
    const origin = `${file}: route ${i + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new UsageError(`${origin}: a route is a mapping with events: and to:`, "write e.g. {events: ['order.*'], to: 'http://127.0.0.1:3000/orders'}");
    }
    const r = item as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (!(ROUTE_KEYS as readonly string[]).includes(key)) {
        const near = closeMatches(key, ROUTE_KEYS, 1);
        throw new UsageError(`${origin}: unknown key '${key}'`, near.length ? `did you mean ${near[0]}?` : `a route's keys are ${ROUTE_KEYS.join(', ')}`);
      }
    }
    const events = typeof r.events === 'string' ? [r.events] : r.events;
    if (!Array.isArray(events) || events.length === 0 || events.some((g) => typeof g !== 'string')) {
      throw new UsageError(`${origin}: events: must be a glob or a list of globs`, "write e.g. events: ['order.*', listing.created] (quote a glob that starts with *)");
    }
    if (typeof r.to !== 'string' || r.to.trim() === '') {
      throw new UsageError(`${origin}: to: must be a target`, TARGET_HELP);
    }
    const to = expandVariables(r.to.trim(), env, origin);
    const spec: RouteSpec = { events: events as string[], to };
    if (r.template !== undefined) {
      if (typeof r.template !== 'string' || r.template.trim() === '') throw new UsageError(`${origin}: template: must be text`, 'write e.g. template: "New {{type}} in shop {{shop_id}}"');
      spec.template = r.template;
    }
    if (r.timeout !== undefined) spec.timeoutMs = parseTimeout(r.timeout, origin);
    if (r.max_attempts !== undefined) {
      if (typeof r.max_attempts !== 'number' || !Number.isInteger(r.max_attempts) || r.max_attempts < 1 || r.max_attempts > 100) {
        throw new UsageError(`${origin}: max_attempts: must be a whole number from 1 to 100, got ${JSON.stringify(r.max_attempts)}`);
      }
      spec.maxAttempts = r.max_attempts;
    }
    if (r.priority !== undefined) {
      if (typeof r.priority !== 'number' || !Number.isInteger(r.priority) || r.priority < -2 || r.priority > 2) {
        throw new UsageError(`${origin}: priority: must be a whole number from -2 to 2 (Pushover's priorities), got ${JSON.stringify(r.priority)}`);
      }
      spec.priority = r.priority;
    }
    return buildRoute(spec, { origin, env, cwd, warnings });
  });
}

interface RouteSpec {
  events: string[];
  to: string;
  template?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  priority?: number;
}

function buildRoute(spec: RouteSpec, ctx: { origin: string; env: NodeJS.ProcessEnv; cwd: string; warnings: string[] }): Route {
  const { origin } = ctx;
  const events = spec.events.map((g) => g.trim());
  const current = withCurrentNames(events);
  for (const w of current.warnings) ctx.warnings.push(`${origin}: ${w}`);
  for (const glob of events) if (replacementOf(glob) === undefined) checkGlob(glob, origin, ctx.warnings);
  const target = parseTarget(spec.to, origin, ctx.env, ctx.cwd);
  if (spec.template !== undefined) {
    if (target.kind !== 'slack' && target.kind !== 'pushover') {
      throw new UsageError(`${origin}: template: applies to slack: and pushover: targets only`, `remove it, or send to slack:WEBHOOK_URL or pushover:`);
    }
    checkTemplate(spec.template, origin);
  }
  if (spec.priority !== undefined && target.kind !== 'pushover') {
    throw new UsageError(`${origin}: priority: applies to pushover: targets only`, 'remove it');
  }
  const targetLabel = maskTarget(spec.to);
  const route: Route = {
    events,
    matches: typeMatcher(current.patterns),
    target,
    label: `${events.join(',')}=${targetLabel}`,
    targetLabel,
    origin,
  };
  if (spec.template !== undefined) route.template = spec.template;
  if (spec.timeoutMs !== undefined) route.timeoutMs = spec.timeoutMs;
  if (spec.maxAttempts !== undefined) route.maxAttempts = spec.maxAttempts;
  if (spec.priority !== undefined) route.priority = spec.priority;
  return route;
}

function checkGlob(glob: string, origin: string, warnings: string[]): void {
  if (glob === '' || !/^[A-Za-z0-9_.*?-]+$/.test(glob)) {
    throw new UsageError(`${origin}: '${glob}' is not an event-type glob`, "use letters, digits, '.', '_', '-' and the wildcards * and ?, e.g. order.* or listing.created");
  }
  const matcher = typeMatcher([glob]);
  if (EVENT_TYPE_NAMES.some((n) => matcher(n))) return;
  const near = closeMatches(glob.replace(/[*?]/g, ''));
  if (!glob.includes('*') && !glob.includes('?') && near.length > 0) {
    throw new UsageError(`${origin}: '${glob}' is not an event type etsyhook knows`, `did you mean ${near.join(', ')}? (etsyhook events types lists them)`);
  }
  warnings.push(`${origin}: '${glob}' matches no event type etsyhook knows (etsyhook events types lists them)`);
}

function parseTarget(to: string, origin: string, env: NodeJS.ProcessEnv, cwd: string): Target {
  const lower = to.toLowerCase();
  if (lower.startsWith('http://') || lower.startsWith('https://')) return { kind: 'http', url: httpUrl(to, origin, 'the target') };
  if (lower.startsWith('exec:')) {
    const command = to.slice('exec:'.length).trim();
    let argv: string[];
    try {
      argv = splitCommand(command);
    } catch (err) {
      throw new UsageError(`${origin}: exec: ${(err as Error).message}`, "close the quote, e.g. exec:./notify.sh 'new order'");
    }
    if (argv.length === 0) throw new UsageError(`${origin}: exec: needs a command`, 'write e.g. exec:./handle-order.sh (no shell; write exec:sh -c "…" for one)');
    checkCommand(argv[0]!, origin, env, cwd);
    return { kind: 'exec', command, argv };
  }
  if (lower.startsWith('slack:')) {
    const raw = to.slice('slack:'.length).trim();
    if (raw === '') throw new UsageError(`${origin}: slack: needs the incoming-webhook URL`, 'write slack:https://hooks.slack.com/services/…, or slack:${SLACK_WEBHOOK_URL} in a routes file');
    return { kind: 'slack', url: httpUrl(raw, origin, 'the Slack webhook URL') };
  }
  if (lower.startsWith('pushover:')) {
    if (to.slice('pushover:'.length).trim() !== '') {
      throw new UsageError(`${origin}: pushover: takes nothing after the colon`, 'write pushover: and set PUSHOVER_TOKEN and PUSHOVER_USER in the environment');
    }
    const token = env.PUSHOVER_TOKEN?.trim();
    const user = env.PUSHOVER_USER?.trim();
    if (!token || !user) {
      throw new UsageError(`${origin}: pushover: needs ${!token ? 'PUSHOVER_TOKEN' : 'PUSHOVER_USER'} in the environment`, 'export PUSHOVER_TOKEN=<app token> PUSHOVER_USER=<user key>');
    }
    const base = env[PUSHOVER_API_ENV]?.trim() || PUSHOVER_API_DEFAULT;
    return { kind: 'pushover', token, user, apiBase: httpUrl(base, origin, PUSHOVER_API_ENV).replace(/\/+$/, '') };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(to)?.[1];
  throw new UsageError(`${origin}: ${scheme ? `unknown target scheme '${scheme}:'` : `'${maskTarget(to)}' is not a target`}`, TARGET_HELP);
}

function httpUrl(raw: string, origin: string, what: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${origin}: ${what} is not a valid URL`, 'write a full URL such as http://127.0.0.1:3000/webhooks');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${origin}: ${what} must be an http or https URL`, TARGET_HELP);
  return url.href;
}

/** An exec: command must be runnable now: a path to an executable file, or a name found on PATH. */
function checkCommand(cmd: string, origin: string, env: NodeJS.ProcessEnv, cwd: string): void {
  const runnable = (p: string): boolean => {
    try {
      accessSync(p, fsConstants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) {
    if (!runnable(isAbsolute(cmd) ? cmd : resolve(cwd, cmd))) {
      throw new UsageError(`${origin}: exec: '${cmd}' is not an executable file`, `check the path (relative to ${cwd}) and chmod +x it`);
    }
    return;
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  if (!dirs.some((d) => runnable(join(d, cmd)))) {
    throw new UsageError(`${origin}: exec: command '${cmd}' is not on PATH`, `write its path, e.g. exec:./${cmd}`);
  }
}

/** `${NAME}` in a routes file's target: the environment's value (keeps webhook URLs out of the file). */
function expandVariables(text: string, env: NodeJS.ProcessEnv, origin: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new UsageError(`${origin}: \${${name}} is not set`, `export ${name}=… before starting, or write the value in the file`);
    return v;
  });
}

function parseTimeout(raw: unknown, origin: string): number {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/i.exec(text);
  const ms = m ? Math.round(Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 's').toLowerCase()] ?? 1000)) : NaN;
  if (!(ms > 0)) throw new UsageError(`${origin}: timeout: must be a duration such as 500ms, 10s or 2m, got ${JSON.stringify(raw)}`);
  return ms;
}

function checkTemplate(template: string, origin: string): void {
  for (const m of template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(m[1]!)) {
      throw new UsageError(`${origin}: template: unknown variable {{${m[1]}}}`, `use ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`);
    }
  }
}

/** Split a command line into words: whitespace separates, '…' and "…" quote, a backslash escapes. No shell. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote === '"' ? 'double' : 'single'} quote`);
  if (inWord) words.push(word);
  return words;
}

/**
 * A target with its secrets masked, for records and the terminal. Slack webhook URLs are secrets in their path, so
 * only the origin is kept; an http URL loses its user:password (kept whole otherwise: replay sends to it again).
 */
export function maskTarget(to: string): string {
  const lower = to.toLowerCase();
  if (lower.startsWith('slack:')) {
    try {
      return `slack:${new URL(to.slice('slack:'.length).trim()).origin}/…`;
    } catch {
      return 'slack:…';
    }
  }
  if (lower.startsWith('pushover:')) return 'pushover:';
  if (lower.startsWith('http://') || lower.startsWith('https://')) {
    try {
      const url = new URL(to);
      if (url.username === '' && url.password === '') return url.href;
      return `${url.protocol}//…@${url.host}${url.pathname}${url.search}${url.hash}`;
    } catch {
      return to;
    }
  }
  return to;
}

/** A `GLOB=TARGET` text with its target masked (for messages that quote a --route value). */
function maskRouteText(raw: string): string {
  const eq = raw.indexOf('=');
  return eq < 0 ? raw : `${raw.slice(0, eq)}=${maskTarget(raw.slice(eq + 1).trim())}`;
}

/** The routes whose globs match an event type, in order. */
export function routesFor(routes: readonly Route[], type: string | undefined): Route[] {
  return routes.filter((r) => r.matches(type));
}
