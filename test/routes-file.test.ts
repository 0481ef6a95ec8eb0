// Routes as written by users: --route values and routes files (YAML or JSON) parsed into routes in-process, and every
// bad routes file refused by the built CLI at start with exit 2 and one line naming the file, the route and the fix.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { parseDevOptions, type DevFlags } from '../src/commands/dev/options.js';
import { flagsOf } from './support/flags.js';
import { routesFromOptions, splitCommand } from '../src/core/delivery/routes.js';
import { UsageError } from '../src/errors.js';
import { cleanEnv, it, runCli, SECRET } from './support/index.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('routesFromOptions', () => {
  it('reads the same routes from YAML and from JSON, in order, after --forward-to and --route', ({ home }) => {
    const d = home.dir;
    const yaml = join(d, 'routes.yaml');
    writeFileSync(
      yaml,
      `# orders to the app, listings to a script, everything to Slack
routes:
  - events: ['order.*', receipt.created]
    to: http://127.0.0.1:3000/orders
    timeout: 5s
    max_attempts: 3
  - events: listing.updated
    to: exec:sh -c 'cat > /dev/null'
  - events: ['*']
    to: slack:https://hooks.slack.com/services/T1/B2/secret
    template: "{{type}} in {{shop_id}}"
  - events: [order.paid]
    to: "pushover:"
    priority: -1
`,
    );
    const json = join(d, 'routes.json');
    writeFileSync(
      json,
      JSON.stringify({
        routes: [
          { events: ['order.*', 'receipt.created'], to: 'http://127.0.0.1:3000/orders', timeout: '5s', max_attempts: 3 },
          { events: 'listing.updated', to: "exec:sh -c 'cat > /dev/null'" },
          { events: ['*'], to: 'slack:https://hooks.slack.com/services/T1/B2/secret', template: '{{type}} in {{shop_id}}' },
          { events: ['order.paid'], to: 'pushover:', priority: -1 },
        ],
      }),
    );
    const env = { ...ENV, PUSHOVER_TOKEN: 'tok', PUSHOVER_USER: 'usr' };
    const fromYaml = routesFromOptions({ routes: yaml, forwardTo: 'http://127.0.0.1:4000/all', route: ['shop.updated=http://127.0.0.1:4000/shop'] }, env, d);
    const fromJson = routesFromOptions({ routes: json, forwardTo: 'http://127.0.0.1:4000/all', route: ['shop.updated=http://127.0.0.1:4000/shop'] }, env, d);
    const plain = (set: typeof fromYaml): unknown[] => set.routes.map(({ matches: _m, origin: _o, ...r }) => r);
    expect(plain(fromYaml)).toEqual(plain(fromJson));
    expect(fromYaml.warnings).toEqual([]);
    expect(fromYaml.routes.map((r) => r.label)).toEqual([
      '*=http://127.0.0.1:4000/all',
      'shop.updated=http://127.0.0.1:4000/shop',
      'order.*,receipt.created=http://127.0.0.1:3000/orders',
      "listing.updated=exec:sh -c 'cat > /dev/null'",
      '*=slack:https://hooks.slack.com/…',
      'order.paid=pushover:',
    ]);
    const [, , orders, exec, slack, pushover] = fromYaml.routes;
    expect(orders).toMatchObject({ timeoutMs: 5000, maxAttempts: 3, target: { kind: 'http', url: 'http://127.0.0.1:3000/orders' } });
    expect(orders!.matches('order.paid')).toBe(true);
    expect(orders!.matches('receipt.created')).toBe(true);
    expect(orders!.matches('listing.created')).toBe(false);
    expect(exec!.target).toEqual({ kind: 'exec', command: "sh -c 'cat > /dev/null'", argv: ['sh', '-c', 'cat > /dev/null'] });
    expect(slack).toMatchObject({ template: '{{type}} in {{shop_id}}', targetLabel: 'slack:https://hooks.slack.com/…' });
    expect(pushover).toMatchObject({ priority: -1, target: { kind: 'pushover', token: 'tok', user: 'usr', apiBase: 'https://api.pushover.net' } });
    expect(fromYaml.routes[2]!.origin).toBe(`${yaml}: route 1`);
  });

  it('takes ${VAR} from the environment in a file, so a Slack URL need not be written in it', ({ home }) => {
    const d = home.dir;
    const file = join(d, 'r.yaml');
    writeFileSync(file, 'routes:\n  - events: [order.paid]\n    to: slack:${SLACK_URL}\n');
    const set = routesFromOptions({ routes: file }, { ...ENV, SLACK_URL: 'https://hooks.slack.com/services/X/Y/Z' }, d);
    expect(set.routes[0]!.target).toEqual({ kind: 'slack', url: 'https://hooks.slack.com/services/X/Y/Z' });
  });

  it('masks the password of an http target and warns about a glob matching no known type', () => {
    const set = routesFromOptions({ route: ['custom.thing.*=https://user:pa55@example.com/hook'] }, ENV);
    expect(set.routes[0]!.label).toBe('custom.thing.*=https://…@example.com/hook');
    expect(set.routes[0]!.target).toEqual({ kind: 'http', url: 'https://user:pa55@example.com/hook' });
    expect(set.warnings).toEqual([`--route 'custom.thing.*=https://…@example.com/hook': 'custom.thing.*' matches no event type etsyhook knows (etsyhook events types lists them)`]);
  });

  it('refuses a bad --route with a usage error that masks the Slack URL', () => {
    const bad = (route: string): string => {
      try {
        routesFromOptions({ route: [route] }, ENV);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return `${(err as UsageError).message}; ${(err as UsageError).hint}`;
      }
      throw new Error(`accepted ${route}`);
    };
    expect(bad('http://127.0.0.1:3000')).toMatch(/is not GLOB=TARGET/);
    expect(bad('order.*=mailto:me@example.com')).toMatch(/unknown target scheme 'mailto:'; write http\(s\):\/\/URL, exec:COMMAND/);
    expect(bad('order.*=exec:')).toMatch(/exec: needs a command/);
    expect(bad('order paid=http://x')).toMatch(/'order paid' is not an event-type glob/);
    const slack = bad('order.*=slack:hooks.slack.com/services/T1/B2/secret');
    expect(slack).toMatch(/the Slack webhook URL is not a valid URL/);
    expect(slack).not.toContain('secret');
  });

  it('dev keeps --route values and the --routes file for the run to read (parsing dev flags does no I/O)', async () => {
    const o = parseDevOptions(await flagsOf<DevFlags>(['dev', '--no-tunnel', '--route', 'order.*=http://127.0.0.1:3000/o', '--route', '*=pushover:', '--routes', 'missing.yaml']));
    expect(o).toMatchObject({ route: ['order.*=http://127.0.0.1:3000/o', '*=pushover:'], routesFile: 'missing.yaml' });
    expect(o.routes).toBeUndefined();
    expect(parseDevOptions(await flagsOf<DevFlags>(['dev', '--no-tunnel']))).toMatchObject({ route: [], routesFile: undefined });
  });

  it('splits exec: commands like a shell would split words, without running one', () => {
    expect(splitCommand(`./notify.sh "new order" 'a $b' c\\ d`)).toEqual(['./notify.sh', 'new order', 'a $b', 'c d']);
    expect(splitCommand('  sh   -c  "echo \\"hi\\""  ')).toEqual(['sh', '-c', 'echo "hi"']);
    expect(splitCommand(`x ''`)).toEqual(['x', '']);
    expect(() => splitCommand(`x 'open`)).toThrow(/unclosed single quote/);
  });
});

describe('dev --routes FILE: every bad file is refused at start, exit 2, one line', () => {
  const cases: { name: string; file: string; ext?: string; env?: Record<string, string>; expect: RegExp }[] = [
    { name: 'not YAML', file: 'routes: [\n  - {events: [order.paid', expect: /routes\.yaml: not valid YAML or JSON: .*; fix the file/ },
    { name: 'an unquoted pushover:', file: 'routes:\n  - events: [order.paid]\n    to: pushover:\n', expect: /routes\.yaml: not valid YAML or JSON: .*line 3.*; quote a target that ends with a colon: to: "pushover:"/ },
    { name: 'an unquoted * glob', file: 'routes:\n  - events: [*]\n    to: http://127.0.0.1:3000/x\n', expect: /line 2.*; quote a glob that starts with \*: events: \['\*'\]/ },
    { name: 'not JSON', file: '{"routes": [}', ext: 'json', expect: /routes\.json: not valid YAML or JSON/ },
    { name: 'empty', file: '', expect: /routes\.yaml: no routes: list at the top; write routes: followed by a list/ },
    { name: 'a bare list', file: '- events: [order.paid]\n  to: http://127.0.0.1:3000/x\n', expect: /no routes: list at the top/ },
    { name: 'an unknown top-level key', file: 'routes: []\nroute: []\n', expect: /unknown top-level key 'route'/ },
    { name: 'no routes', file: 'routes: []\n', expect: /routes: must be a non-empty list/ },
    { name: 'a route that is not a mapping', file: 'routes:\n  - order.paid=http://127.0.0.1:3000/x\n', expect: /route 1: a route is a mapping with events: and to:/ },
    { name: 'an unknown key', file: 'routes:\n  - events: [order.paid]\n    to: http://127.0.0.1:3000/x\n    retries: 3\n', expect: /route 1: unknown key 'retries'/ },
    { name: 'a misspelt key', file: 'routes:\n  - event: [order.paid]\n    to: http://127.0.0.1:3000/x\n', expect: /route 1: unknown key 'event'; did you mean events\?/ },
    { name: 'no events', file: 'routes:\n  - to: http://127.0.0.1:3000/x\n', expect: /route 1: events: must be a glob or a list of globs/ },
    { name: 'no target', file: 'routes:\n  - events: [order.paid]\n', expect: /route 1: to: must be a target; write http\(s\):\/\/URL, exec:COMMAND, slack:WEBHOOK_URL or pushover:/ },
    { name: 'an unknown target scheme', file: 'routes:\n  - events: [order.paid]\n  - events: [order.*]\n    to: ftp://example.com/x\n', expect: /route 1: to: must be a target/ },
    { name: 'an unknown scheme in route 2', file: 'routes:\n  - events: [order.paid]\n    to: http://127.0.0.1:3000/x\n  - events: [order.shipped]\n    to: sms:+15550100\n', expect: /route 2: unknown target scheme 'sms:'/ },
    { name: 'a bad glob', file: 'routes:\n  - events: ["order.[paid]"]\n    to: http://127.0.0.1:3000/x\n', expect: /route 1: 'order\.\[paid\]' is not an event-type glob; use letters, digits/ },
    { name: 'a misspelt event type', file: 'routes:\n  - events: [order.payed]\n    to: http://127.0.0.1:3000/x\n', expect: /route 1: 'order\.payed' is not an event type etsyhook knows; did you mean order\.paid/ },
    { name: 'a missing variable', file: 'routes:\n  - events: [order.paid]\n    to: slack:${SLACK_ORDERS_URL}\n', expect: /route 1: \$\{SLACK_ORDERS_URL\} is not set; export SLACK_ORDERS_URL=/ },
    { name: 'pushover without its token', file: 'routes:\n  - events: [order.paid]\n    to: "pushover:"\n', expect: /route 1: pushover: needs PUSHOVER_TOKEN in the environment; export PUSHOVER_TOKEN=/ },
    { name: 'pushover without its user', file: 'routes:\n  - events: [order.paid]\n    to: "pushover:"\n', env: { PUSHOVER_TOKEN: 't' }, expect: /pushover: needs PUSHOVER_USER/ },
    { name: 'a command not on PATH', file: 'routes:\n  - events: [order.paid]\n    to: exec:no-such-handler-xyz --flag\n', expect: /route 1: exec: command 'no-such-handler-xyz' is not on PATH; write its path/ },
    { name: 'a command that is not executable', file: 'routes:\n  - events: [order.paid]\n    to: exec:./plain.txt\n', expect: /route 1: exec: '\.\/plain\.txt' is not an executable file/ },
    { name: 'an unclosed quote', file: `routes:\n  - events: [order.paid]\n    to: "exec:sh -c 'echo"\n`, expect: /route 1: exec: unclosed single quote/ },
    { name: 'an unknown template variable', file: 'routes:\n  - events: [order.paid]\n    to: slack:https://hooks.slack.com/services/T/B/X\n    template: "{{type}} {{total}}"\n', expect: /route 1: template: unknown variable \{\{total\}\}; use \{\{type\}\}/ },
    { name: 'a template on an http route', file: 'routes:\n  - events: [order.paid]\n    to: http://127.0.0.1:3000/x\n    template: "{{type}}"\n', expect: /template: applies to slack: and pushover: targets only/ },
    { name: 'a bad timeout', file: 'routes:\n  - events: [order.paid]\n    to: http://127.0.0.1:3000/x\n    timeout: soon\n', expect: /route 1: timeout: must be a duration such as 500ms, 10s or 2m, got "soon"/ },
    { name: 'a bad max_attempts', file: 'routes:\n  - events: [order.paid]\n    to: http://127.0.0.1:3000/x\n    max_attempts: 0\n', expect: /route 1: max_attempts: must be a whole number from 1 to 100, got 0/ },
    { name: 'a bad priority', file: 'routes:\n  - events: [order.paid]\n    to: "pushover:"\n    priority: 3\n', env: { PUSHOVER_TOKEN: 't', PUSHOVER_USER: 'u' }, expect: /priority: must be a whole number from -2 to 2/ },
    { name: 'a priority on a Slack route', file: 'routes:\n  - events: [order.paid]\n    to: slack:https://hooks.slack.com/services/T/B/X\n    priority: 1\n', expect: /priority: applies to pushover: targets only/ },
    { name: 'a duplicate key', file: 'routes:\n  - events: [order.paid]\n    to: http://127.0.0.1:3000/x\n    to: http://127.0.0.1:3000/y\n', expect: /not valid YAML or JSON: .*[Mm]ap keys must be unique/ },
  ];

  it.for(cases)('$name', async (c, { home }) => {
    const d = home.dir;
    const work = join(d, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'plain.txt'), 'not a program');
    chmodSync(join(work, 'plain.txt'), 0o644);
    const name = `routes.${c.ext ?? 'yaml'}`;
    writeFileSync(join(work, name), c.file);
    const r = await runCli(['dev', '--no-tunnel', '--port', '0', '--secret', SECRET, '--routes', name], {
      env: cleanEnv(d, { PUSHOVER_TOKEN: undefined, PUSHOVER_USER: undefined, SLACK_ORDERS_URL: undefined, ...c.env }),
      cwd: work,
      timeoutMs: 10_000,
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: routes\.(yaml|json)/);
    expect(lines[0]).toMatch(c.expect);
  });

  it('a missing file', async ({ home }) => {
    const d = home.dir;
    const r = await runCli(['dev', '--no-tunnel', '--routes', join(d, 'nope.yaml')], { env: cleanEnv(d) });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: --routes ${join(d, 'nope.yaml')}: no such file; give a YAML or JSON file with a routes: list\n`);
  });
});
