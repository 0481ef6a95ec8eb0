// `etsyhook dev --route / --routes`: each event type to its own handlers — HTTP apps, a command, Slack, Pushover —
// each route its own delivery with its own attempts and dead letter; secrets in targets never printed.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { DeliveryRecord } from '../src/core/log/records.js';
import { it, newHome, post, recorder, runCli, signed, startDev, waitFor, type Recorded, type Recorder, type Scope } from './support/index.js';

type Answer = { status: number; body?: string };

/** The recorder answering `answer(request)`: its body as text/plain, or application/json when it is an object. */
function server(cleanups: Scope, answer: (got: Recorded) => Answer = () => ({ status: 200, body: 'ok' })): Promise<Recorder> {
  return recorder(cleanups, {
    status: (got) => answer(got).status,
    body: (got) => answer(got).body ?? '',
    headers: (got) => ({ 'content-type': answer(got).body?.startsWith('{') ? 'application/json' : 'text/plain' }),
  });
}

function orderEvent(type = 'order.paid', receipt = 3012345678): ReturnType<typeof signed> {
  return signed({ type, body: JSON.stringify({ event_type: type, shop_id: 12345678, resource_url: `https://api.etsy.com/v3/application/shops/12345678/receipts/${receipt}` }) });
}

function listingEvent(type = 'listing.created'): ReturnType<typeof signed> {
  return signed({ type, body: JSON.stringify({ event_type: type, shop_id: 12345678, resource_id: 4455667788 }) });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function byRoute(deliveries: DeliveryRecord[], route: string): DeliveryRecord[] {
  return deliveries.filter((d) => d.route === route);
}

describe('dev --route', () => {
  it('sends each event type to its own HTTP route, byte-exact; a type no route matches is stored as ignored', async ({ cleanups }) => {
    const orders = await server(cleanups);
    const listings = await server(cleanups);
    const dev = await startDev(cleanups, ['--route', `order.*=${orders.origin}/orders`, '--route', `listing.*=${listings.origin}/listings`]);
    expect(dev.stderr()).toContain(`order.*    → ${orders.origin}/orders`);
    expect(dev.stderr()).toContain(`listing.*  → ${listings.origin}/listings`);

    const o = orderEvent();
    const l = listingEvent();
    expect((await post(dev.url, o)).status).toBe(200);
    expect((await post(dev.url, l)).status).toBe(200);
    const shop = signed({ type: 'shop.updated' });
    const ignored = await post(dev.url, shop);
    expect(ignored.json()).toMatchObject({ status: 'ignored' });

    await waitFor('two delivery records', () => dev.store().deliveries.length === 2, 10_000);
    expect(orders.requests.map((g) => g.url)).toEqual(['/orders']);
    expect(orders.requests[0]!.body.equals(o.body)).toBe(true);
    expect(orders.requests[0]!.headers['webhook-signature']).toBe(o.headers['webhook-signature']);
    expect(listings.requests.map((g) => g.body.toString())).toEqual([l.body.toString()]);
    const recs = dev.store().received;
    expect(recs.find((r) => r.type === 'shop.updated')).toMatchObject({ status: 'ignored', reason: 'no route matches' });
    expect(recs.find((r) => r.type === 'order.paid')!.routes).toEqual([`order.*=${orders.origin}/orders`]);
    expect(dev.store().deliveries.map((d) => [d.route, d.target, d.status]).sort()).toEqual(
      [
        [`listing.*=${listings.origin}/listings`, `${listings.origin}/listings`, 'delivered'],
        [`order.*=${orders.origin}/orders`, `${orders.origin}/orders`, 'delivered'],
      ].sort(),
    );
  });

  it('an event matching two routes goes to both; --forward-to is the route *=URL', async ({ cleanups }) => {
    const app = await server(cleanups);
    const audit = await server(cleanups);
    const dev = await startDev(cleanups, ['--forward-to', `${app.origin}/all`, '--route', `order.paid=${audit.origin}/paid`]);
    expect(dev.stderr()).toMatch(/\*\s+→ http:\/\/127\.0\.0\.1:\d+\/all/);
    await post(dev.url, orderEvent('order.paid'));
    await post(dev.url, orderEvent('order.shipped'));
    await waitFor('three deliveries', () => dev.store().deliveries.length === 3, 10_000);
    expect(app.requests.length).toBe(2);
    expect(audit.requests.map((g) => JSON.parse(g.body.toString()).event_type)).toEqual(['order.paid']);
  });

  it('exec: runs the command without a shell: the exact body on stdin, the event in its environment; exit 0 is delivered', async ({ cleanups, home: h }) => {
    const script = join(h.dir, 'handler.sh');
    const outFile = join(h.dir, 'got');
    writeFileSync(
      script,
      `#!/bin/sh\ncat > "${outFile}.body"\nprintf '%s|%s|%s|%s|%s' "$ETSYHOOK_EVENT_TYPE" "$ETSYHOOK_EVENT_ID" "$WEBHOOK_ID" "$ETSYHOOK_SHOP_ID" "$1" > "${outFile}.env"\n`,
    );
    chmodSync(script, 0o755);
    // The argument holds shell syntax: without a shell it arrives as one literal word.
    const dev = await startDev(cleanups, ['--route', `order.*=exec:${script} 'a $HOME; b'`], { home: h });
    const ev = orderEvent();
    const res = await post(dev.url, ev);
    await waitFor('the exec delivery', () => dev.store().deliveries.length === 1, 10_000);
    expect(dev.store().deliveries[0]).toMatchObject({ status: 'delivered', attempt: 1, target: `exec:${script} 'a $HOME; b'` });
    expect(readFileSync(`${outFile}.body`).equals(ev.body)).toBe(true);
    expect(readFileSync(`${outFile}.env`, 'utf8')).toBe(`order.paid|${res.json().id}|${ev.id}|12345678|a $HOME; b`);
  });

  it('exec: a non-zero exit is retried with its stderr kept, then dead; a command past its timeout is killed', async ({ cleanups, home: h }) => {
    const failing = join(h.dir, 'fail.sh');
    writeFileSync(failing, '#!/bin/sh\ncat >/dev/null\necho "database is locked" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    const slow = join(h.dir, 'slow.sh');
    // It starts a child of its own and waits: a timeout must kill that child too, not only the script.
    writeFileSync(slow, `#!/bin/sh\nsleep 30 &\necho $! > "${h.dir}/sleep.pid"\nwait\n`);
    chmodSync(slow, 0o755);
    const file = join(h.dir, 'routes.yaml');
    writeFileSync(
      file,
      `routes:\n  - events: ['order.*']\n    to: exec:${failing}\n    max_attempts: 2\n  - events: [order.paid]\n    to: exec:${slow}\n    timeout: 300ms\n    max_attempts: 1\n`,
    );
    const dev = await startDev(cleanups, ['--routes', file, '--retry-schedule', '0,50ms,100ms,200ms,400ms'], { home: h });
    const started = Date.now();
    const id = (await post(dev.url, orderEvent())).json().id as string;
    await waitFor('two failing attempts and one timeout', () => dev.store().deliveries.length === 3, 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    const fail = byRoute(dev.store().deliveries, `order.*=exec:${failing}`);
    expect(fail.map((d) => [d.attempt, d.status, d.error])).toEqual([
      [1, 'failed', 'exit code 3'],
      [2, 'dead', 'exit code 3'],
    ]);
    expect(fail[0]!.response?.body).toContain('database is locked');
    const show = await runCli(['events', 'show', id], { env: { ...dev.env, NO_COLOR: '1' } });
    expect(show.stdout).toContain(`route order.*=exec:${failing}  dead`);
    expect(show.stdout).toContain('stderr: database is locked');
    const timedOut = byRoute(dev.store().deliveries, `order.paid=exec:${slow}`);
    expect(timedOut).toHaveLength(1);
    expect(timedOut[0]).toMatchObject({ status: 'dead', error: 'timed out after 300 ms (killed)' });
    // Killed with its process group: the sleep the script started is gone too.
    const pid = Number(readFileSync(join(h.dir, 'sleep.pid'), 'utf8'));
    expect(pid).toBeGreaterThan(0);
    await waitFor('the command\'s child to be killed', () => !alive(pid), 5000);
  });

  it('exec: a command still running when dev stops is stopped too, and its event stays pending for the next start', async ({ cleanups, home: h }) => {
    const script = join(h.dir, 'hang.sh');
    writeFileSync(script, `#!/bin/sh\nsleep 60 &\necho $! > "${h.dir}/sleep.pid"\nwait\n`);
    chmodSync(script, 0o755);
    const dev = await startDev(cleanups, ['--route', `order.*=exec:${script}`], { home: h });
    await post(dev.url, orderEvent());
    const pidFile = join(h.dir, 'sleep.pid');
    await waitFor('the command to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 10_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await dev.stop('SIGTERM')).toBe(0);
    await waitFor('the command to be stopped', () => !alive(pid), 5000);
    expect(dev.store().deliveries).toEqual([]);
    expect(dev.stderr()).toMatch(/1 deliveries pending, resumed at the next start/);
  });

  it('slack: posts {"text"} naming type, shop and receipt, a template per route from the file; the webhook URL is never printed nor stored', async ({ cleanups }) => {
    const slack = await server(cleanups, () => ({ status: 200, body: 'ok' }));
    const secretPath = '/services/T0SECRET1/B0SECRET2/xoxbSlackSecret3';
    const h = newHome(cleanups, { SLACK_ORDERS_URL: `${slack.origin}${secretPath}` });
    const file = join(h.dir, 'routes.json');
    writeFileSync(
      file,
      JSON.stringify({
        routes: [
          { events: ['order.paid'], to: 'slack:${SLACK_ORDERS_URL}' },
          { events: ['listing.*'], to: `slack:${slack.origin}${secretPath}`, template: 'New {{type}} in shop {{shop_id}}: listing {{listing_id}}' },
        ],
      }),
    );
    const dev = await startDev(cleanups, ['--routes', file], { home: h });
    await post(dev.url, orderEvent('order.paid', 3099887766));
    await post(dev.url, listingEvent('listing.updated'));
    await waitFor('two slack deliveries', () => dev.store().deliveries.length === 2, 10_000);
    const texts = slack.requests.map((g) => {
      expect(g.headers['content-type']).toBe('application/json');
      expect(g.url).toBe(secretPath);
      return (JSON.parse(g.body.toString()) as { text: string }).text;
    });
    expect(texts.find((t) => t.includes('order.paid'))).toMatch(/order\.paid.*shop 12345678.*receipt 3099887766/);
    expect(texts).toContain('New listing.updated in shop 12345678: listing 4455667788');
    expect(dev.store().deliveries.every((d) => d.status === 'delivered' && d.target === `slack:${slack.origin}/…`)).toBe(true);

    const shown = await runCli(['events', 'list', '--json'], { env: dev.env });
    const detail = await runCli(['events', 'show', dev.store().received[0]!.id], { env: dev.env });
    await dev.stop('SIGTERM');
    const everything = [dev.stdout(), dev.stderr(), shown.stdout, shown.stderr, detail.stdout, detail.stderr, readFileSync(join(h.dir, 'events', 'events.ndjson'), 'utf8')].join('\n');
    expect(everything).toContain(`slack:${slack.origin}/…`);
    for (const secret of ['T0SECRET1', 'B0SECRET2', 'xoxbSlackSecret3']) expect(everything).not.toContain(secret);
  });

  it('pushover: sends token, user, message, title and the route priority to its messages API; a refusal is a failure with its errors', async ({ cleanups }) => {
    const token = 'aPushoverAppToken1234567890abc';
    const user = 'uPushoverUserKey1234567890xyz';
    const pushover = await server(cleanups, (g) => {
      const form = new URLSearchParams(g.body.toString());
      return form.get('token') === token
        ? { status: 200, body: '{"status":1,"request":"5042853c-402d-4a18-abcb-168734a801de"}' }
        : { status: 400, body: '{"token":"invalid","errors":["application token is invalid"],"status":0,"request":"x"}' };
    });
    const h = newHome(cleanups, { PUSHOVER_TOKEN: token, PUSHOVER_USER: user, ETSYHOOK_PUSHOVER_API: pushover.origin });
    const file = join(h.dir, 'routes.yaml');
    writeFileSync(file, 'routes:\n  - events: [order.paid]\n    to: "pushover:"\n    priority: 1\n    template: "Paid: receipt {{receipt_id}}"\n');
    const dev = await startDev(cleanups, ['--routes', file], { home: h });
    expect(dev.stderr()).toMatch(/order\.paid\s+→ pushover:\s+\(.*priority 1/);
    await post(dev.url, orderEvent('order.paid', 3055555555));
    await waitFor('the pushover delivery', () => dev.store().deliveries.length === 1, 10_000);
    expect(pushover.requests[0]!.url).toBe('/1/messages.json');
    const form = Object.fromEntries(new URLSearchParams(pushover.requests[0]!.body.toString()));
    expect(form).toMatchObject({ token, user, message: 'Paid: receipt 3055555555', title: 'etsyhook: order.paid', priority: '1' });
    expect(dev.store().deliveries[0]).toMatchObject({ status: 'delivered', httpStatus: 200, target: 'pushover:', route: 'order.paid=pushover:' });
    await dev.stop('SIGTERM');

    // A wrong token: Pushover says why, and that is what the attempt keeps.
    const again = await startDev(cleanups, ['--routes', file, '--max-attempts', '1'], { home: h, env: { PUSHOVER_TOKEN: 'wrongwrongwrongwrongwrong12345' } });
    await post(again.url, orderEvent('order.paid'));
    await waitFor('the refused attempt', () => again.store().deliveries.length === 2, 10_000);
    expect(again.store().deliveries[1]).toMatchObject({ status: 'dead', httpStatus: 400, error: 'pushover: application token is invalid' });
    await again.stop('SIGTERM');
    const everything = [dev.stdout(), dev.stderr(), again.stdout(), again.stderr(), readFileSync(join(h.dir, 'events', 'events.ndjson'), 'utf8')].join('\n');
    for (const secret of [token, user, 'wrongwrongwrongwrongwrong12345']) expect(everything).not.toContain(secret);
  });

  it('a failing route is retried then dead while the others deliver; events list --status dead and events show tell them apart', async ({ cleanups, home: h }) => {
    const good = await server(cleanups);
    const broken = await server(cleanups, () => ({ status: 500, body: 'handler crashed' }));
    const file = join(h.dir, 'routes.yaml');
    writeFileSync(file, `routes:\n  - events: ['*']\n    to: ${good.origin}/all\n  - events: ['order.*']\n    to: ${broken.origin}/orders\n    max_attempts: 3\n`);
    const dev = await startDev(cleanups, ['--routes', file, '--retry-schedule', '0,50ms,100ms,200ms,400ms'], { home: h });
    const res = await post(dev.url, orderEvent());
    const id = res.json().id as string;
    await waitFor('one delivery and three failing attempts', () => dev.store().deliveries.length === 4, 10_000);
    const brokenRoute = `order.*=${broken.origin}/orders`;
    const goodRoute = `*=${good.origin}/all`;
    expect(byRoute(dev.store().deliveries, goodRoute).map((d) => d.status)).toEqual(['delivered']);
    expect(byRoute(dev.store().deliveries, brokenRoute).map((d) => [d.attempt, d.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'dead'],
    ]);
    expect(good.requests).toHaveLength(1);
    expect(broken.requests).toHaveLength(3);
    await waitFor('the dead line', () => /dead after 3 attempts/.test(dev.stderr()), 5000);

    const dead = await runCli(['events', 'list', '--status', 'dead', '--json'], { env: dev.env });
    expect(dead.code).toBe(0);
    const listed = JSON.parse(dead.stdout) as { id: string; status: string; routes: string[] }[];
    expect(listed.map((e) => [e.id, e.status])).toEqual([[id, 'dead']]);
    expect(listed[0]!.routes).toEqual([goodRoute, brokenRoute]);
    const delivered = await runCli(['events', 'list', '--status', 'delivered', '--json'], { env: dev.env });
    expect(JSON.parse(delivered.stdout)).toEqual([]);

    const show = await runCli(['events', 'show', id], { env: { ...dev.env, NO_COLOR: '1' } });
    expect(show.code).toBe(0);
    const text = show.stdout;
    const goodAt = text.indexOf(`route ${goodRoute}  delivered`);
    const brokenAt = text.indexOf(`route ${brokenRoute}  dead`);
    expect(goodAt).toBeGreaterThan(0);
    expect(brokenAt).toBeGreaterThan(goodAt);
    expect(text.slice(brokenAt).match(/→ 500/g)).toHaveLength(3);
  });

  it('resumes each route where it stood after a restart: a delivered route is not sent again', async ({ cleanups, home: h }) => {
    const good = await server(cleanups);
    let up = false;
    const flaky = await server(cleanups, () => (up ? { status: 200, body: 'ok' } : { status: 503, body: 'down' }));
    const args = ['--route', `order.*=${good.origin}/a`, '--route', `order.*=${flaky.origin}/b`, '--retry-schedule', '0,1m,2m,4m,8m'];
    const first = await startDev(cleanups, args, { home: h });
    await post(first.url, orderEvent());
    await waitFor('first attempts', () => first.store().deliveries.length === 2, 10_000);
    await first.stop('SIGTERM');
    up = true;
    const second = await startDev(cleanups, args, { home: h, port: first.port });
    expect(second.stderr()).toMatch(/resuming 1 pending delivery/);
    await waitFor('the resumed attempt', () => second.store().deliveries.length === 3, 10_000);
    expect(good.requests).toHaveLength(1);
    expect(flaky.requests).toHaveLength(2);
    expect(byRoute(second.store().deliveries, `order.*=${flaky.origin}/b`).map((d) => [d.attempt, d.status])).toEqual([
      [1, 'failed'],
      [2, 'delivered'],
    ]);
  });

  it('replay --failed re-runs only the routes that failed; a Slack route needs its routes again; --route sends elsewhere', async ({ cleanups, home: h }) => {
    let fixed = false;
    const good = await server(cleanups);
    const broken = await server(cleanups, () => (fixed ? { status: 200, body: 'ok' } : { status: 500, body: 'crashed' }));
    const slack = await server(cleanups, () => (fixed ? { status: 200, body: 'ok' } : { status: 404, body: 'no_service' }));
    const file = join(h.dir, 'routes.yaml');
    writeFileSync(
      file,
      `routes:\n  - events: ['*']\n    to: ${good.origin}/all\n  - events: ['order.*']\n    to: ${broken.origin}/orders\n  - events: [order.paid]\n    to: slack:${slack.origin}/services/TSEC/BSEC/slacksecret\n`,
    );
    const dev = await startDev(cleanups, ['--routes', file, '--max-attempts', '1'], { home: h });
    const id = (await post(dev.url, orderEvent())).json().id as string;
    await waitFor('three first attempts', () => dev.store().deliveries.length === 3, 10_000);
    await dev.stop('SIGTERM');
    fixed = true;

    // The Slack URL is not in the store: replay says what to pass, and sends nothing.
    const refused = await runCli(['replay', '--failed'], { env: dev.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: the route order\.paid=slack:http:\/\/127\.0\.0\.1:\d+\/… keeps no secret in the store.*--routes FILE/);
    expect(broken.requests).toHaveLength(1);

    // By id with --failed: that event, only on its routes that failed.
    const r = await runCli(['replay', id, '--failed', '--routes', file, '--json'], { env: dev.env });
    expect(r.code).toBe(0);
    // It says what each kind of target gets: the bytes and signature headers to the URL, a message to Slack.
    expect(r.stderr).toMatch(/^replaying 2 events .* to 2 targets$/m);
    expect(r.stderr).toContain('byte-exact (original body and signature headers) for http(s) targets');
    expect(r.stderr).toContain("as a Slack message (the route's template, or a line naming the event) for slack: routes");
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; route: string; status: string; attempt: number });
    expect(results.map((x) => [x.id, x.route, x.status, x.attempt]).sort()).toEqual(
      [
        [id, `order.*=${broken.origin}/orders`, 'delivered', 2],
        [id, `order.paid=slack:${slack.origin}/…`, 'delivered', 2],
      ].sort(),
    );
    expect(good.requests).toHaveLength(1);
    expect(broken.requests).toHaveLength(2);
    expect(slack.requests).toHaveLength(2);
    const list = await runCli(['events', 'list', '--status', 'delivered', '--json'], { env: dev.env });
    expect((JSON.parse(list.stdout) as { id: string }[]).map((e) => e.id)).toEqual([id]);
    // Nothing failed any more: a second --failed sends nothing.
    const again = await runCli(['replay', '--failed', '--routes', file], { env: dev.env });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/nothing to replay/);

    const other = await server(cleanups);
    const elsewhere = await runCli(['replay', id, '--route', `order.*=${other.origin}/new`], { env: dev.env });
    expect(elsewhere.code).toBe(0);
    expect(other.requests.map((g) => g.url)).toEqual(['/new']);
    expect(good.requests).toHaveLength(1);
    for (const out of [refused, r, elsewhere]) expect(out.stdout + out.stderr).not.toContain('slacksecret');
  });
});
