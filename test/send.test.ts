// `etsyhook send` through the built CLI against real loopback servers.
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { cleanEnv, it, unusedPort, runCli, SECRET, type Home } from './support/index.js';
import { flatHeaders, recorder } from './support/recorder.js';

const LEGACY_SECRET = "the seed's secret: any string";

/** `etsyhook send …args` in the home (or in `options.env`). */
function send(home: Home, args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}) {
  return runCli(['send', ...args], { env: options.env ?? home.env, ...(options.input === undefined ? {} : { input: options.input }) });
}

function onlyLine(s: string): string {
  const lines = s.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('send: standard scheme', () => {
  it('POSTs a fixture that the standardwebhooks reference library verifies', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('');
    expect(r.requests).toHaveLength(1);
    const req = r.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/webhook');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^etsyhook\/\d+\.\d+\.\d+/);
    const payload = new Webhook(SECRET).verify(req.body.toString('utf8'), flatHeaders(req.headers)) as Record<string, unknown>;
    expect(payload.event_type).toBe('order.paid');
    expect(payload.resource_url).toBe(`https://api.etsy.com/v3/application/shops/${payload.shop_id}/receipts/${String(payload.resource_url).split('/').pop()}`);
    expect(req.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    // Humans get the exchange on stderr.
    expect(res.stderr).toContain(`--> order.paid [${req.headers['webhook-id']}] POST ${r.url}`);
    expect(res.stderr).toMatch(/<-- \[200\] \d+(\.\d)? ms/);
    expect(res.stderr).toContain('"status":"received"');
    expect(res.stderr).not.toContain(SECRET.slice(6));
  });

  it('takes the secret from ETSY_WEBHOOK_SECRET, else from the stored config; flags win', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const fromEnv = await send(home, ['order.shipped', '--to', r.url], { env: cleanEnv(home.dir, { ETSY_WEBHOOK_SECRET: SECRET }) });
    expect(fromEnv.code).toBe(0);
    writeFileSync(join(home.dir, 'config.json'), JSON.stringify({ webhookSecret: SECRET }), { mode: 0o600 });
    const fromConfig = await send(home, ['order.shipped', '--to', r.url]);
    expect(fromConfig.code).toBe(0);
    const other = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
    const fromFlag = await send(home, ['order.shipped', '--to', r.url, '--secret', other], { env: cleanEnv(home.dir, { ETSY_WEBHOOK_SECRET: SECRET }) });
    expect(fromFlag.code).toBe(0);
    const [a, b, c] = r.requests;
    expect(() => new Webhook(SECRET).verify(a!.body.toString(), flatHeaders(a!.headers))).not.toThrow();
    expect(() => new Webhook(SECRET).verify(b!.body.toString(), flatHeaders(b!.headers))).not.toThrow();
    expect(() => new Webhook(other).verify(c!.body.toString(), flatHeaders(c!.headers))).not.toThrow();
  });

  it('uses --id and --timestamp as given', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--id', 'msg_fixed', '--timestamp', '1614265330']);
    expect(res.code).toBe(0);
    const h = r.requests[0]!.headers;
    expect(h['webhook-id']).toBe('msg_fixed');
    expect(h['webhook-timestamp']).toBe('1614265330');
    const sig = createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64'))
      .update(`msg_fixed.1614265330.`)
      .update(r.requests[0]!.body)
      .digest('base64');
    expect(h['webhook-signature']).toBe(`v1,${sig}`);
  });
});

describe('send: legacy scheme', () => {
  it('signs timestamp.body with the secret as UTF-8 bytes, hex, in X-Etsy-Signature', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home, ['receipt.created', '--to', r.url, '--secret', LEGACY_SECRET, '--scheme', 'legacy']);
    expect(res.code).toBe(0);
    const req = r.requests[0]!;
    const ts = req.headers['x-etsy-timestamp'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(30);
    const expected = createHmac('sha256', LEGACY_SECRET).update(`${ts}.${req.body.toString('utf8')}`).digest('hex');
    expect(req.headers['x-etsy-signature']).toBe(expected);
    expect(req.headers['webhook-id']).toBeUndefined();
    const payload = JSON.parse(req.body.toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ event_type: 'receipt.created' });
    expect(Object.keys(payload).sort()).toEqual(['event_type', 'resource_id', 'shop_id', 'timestamp']);
  });
});

describe('send: fixture overrides', () => {
  it('--set parses numbers, booleans and null, keeps other text as strings, and follows dot paths', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home, [
      'listing.updated', '--to', r.url, '--secret', SECRET,
      '--set', 'resource_id=123456', '--set', 'price=12.50', '--set', 'active=true', '--set', 'note=null',
      '--set', 'sku=007', '--set', 'title=Blue mug = nice', '--set', 'meta.source.name=test', '--set', 'meta.source.n=-3',
      '--set', 'tags=["a","b"]',
    ]);
    expect(res.code).toBe(0);
    const payload = JSON.parse(r.requests[0]!.body.toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({
      event_type: 'listing.updated',
      resource_id: 123456,
      price: 12.5,
      active: true,
      note: null,
      sku: '007',
      title: 'Blue mug = nice',
      meta: { source: { name: 'test', n: -3 } },
      tags: ['a', 'b'],
    });
  });

  it('--shop sets the shop in the payload and in the resource_url', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home, ['order.delivered', '--to', r.url, '--secret', SECRET, '--shop', '31415926']);
    expect(res.code).toBe(0);
    const payload = JSON.parse(r.requests[0]!.body.toString()) as Record<string, unknown>;
    expect(payload.shop_id).toBe(31415926);
    expect(payload.resource_url).toMatch(/^https:\/\/api\.etsy\.com\/v3\/application\/shops\/31415926\/receipts\/\d+$/);
  });
});

describe('send --data', () => {
  // Every one of these would change in a JSON round trip: key order, spacing, escapes, unicode, a trailing newline.
  const TRICKY = '{"z": 1,   "a": "ünïcødé ☃ \\u00e9 \\\\ \\" \\/",\n\t"event_type":"order.paid", "n": 1.0, "big": 12345678901234567890}\n';

  it('sends a file byte for byte and signs those bytes', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const file = join(home.dir, 'body.json');
    writeFileSync(file, TRICKY);
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--data', file]);
    expect(res.code).toBe(0);
    expect(res.stderr).not.toContain('warning');
    const req = r.requests[0]!;
    expect(req.body.equals(Buffer.from(TRICKY))).toBe(true);
    expect(JSON.stringify(JSON.parse(TRICKY))).not.toBe(TRICKY);
    expect(() => new Webhook(SECRET).verify(req.body.toString('utf8'), flatHeaders(req.headers))).not.toThrow();
  });

  it('reads the body from stdin with --data -', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--data', '-'], { input: TRICKY });
    expect(res.code).toBe(0);
    expect(r.requests[0]!.body.equals(Buffer.from(TRICKY))).toBe(true);
  });

  it('sends a body that is not JSON (even not UTF-8) as is, with a warning on stderr, so a receiver\'s 400 path can be tested', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { status: 400, body: '{"error":"Invalid payload"}' });
    const bytes = Buffer.concat([Buffer.from('not json {'), Buffer.from([0xff, 0xfe, 0x00, 0x0a])]);
    const file = join(home.dir, 'broken.bin');
    writeFileSync(file, bytes);
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--data', file, '--expect', '400']);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/warning: .*broken\.bin is not valid JSON; sending it byte for byte/);
    const req = r.requests[0]!;
    expect(req.body.equals(bytes)).toBe(true);
    const expected = createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64'))
      .update(`${req.headers['webhook-id']}.${req.headers['webhook-timestamp']}.`)
      .update(bytes)
      .digest('base64');
    expect(req.headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('with --set, edits the JSON of the file', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const file = join(home.dir, 'body.json');
    writeFileSync(file, '{"event_type": "order.paid", "shop_id": 1}');
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--data', file, '--set', 'shop_id=2', '--set', 'x.y=true']);
    expect(res.code).toBe(0);
    expect(JSON.parse(r.requests[0]!.body.toString())).toEqual({ event_type: 'order.paid', shop_id: 2, x: { y: true } });
  });
});

describe('send --expect', () => {
  it('exits 1 when the status does not match, 0 when it does', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { status: 500, body: 'boom' });
    const bad = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--expect', '2xx']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('<-- [500]');
    expect(bad.stderr).toContain('boom');
    expect(bad.stderr).toContain('error: expected status 2xx, got 500');
    expect((await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--expect', '500'])).code).toBe(0);
    expect((await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--expect', '200,5xx'])).code).toBe(0);
    // Without --expect any answer is a successful send.
    expect((await send(home, ['order.paid', '--to', r.url, '--secret', SECRET])).code).toBe(0);
  });
});

describe('send --json', () => {
  it('prints exactly one JSON object on stdout: event, request, response; never the secret', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { body: '{"ok":true}' });
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--json', '--set', 'shop_id=77']);
    expect(res.code).toBe(0);
    const line = onlyLine(res.stdout);
    expect(res.stdout).toBe(`${line}\n`);
    const out = JSON.parse(line) as {
      event: { type: string; id: string; scheme: string; timestamp: number; payload: Record<string, unknown> };
      request: { url: string; headers: Record<string, string> };
      response: { status: number; ms: number; body: string };
    };
    const req = r.requests[0]!;
    expect(out.event).toMatchObject({ type: 'order.paid', scheme: 'standard', id: req.headers['webhook-id'], payload: { shop_id: 77 } });
    expect(out.request.url).toBe(r.url);
    expect(out.request.headers['webhook-signature']).toBe(req.headers['webhook-signature']);
    expect(out.request.headers['content-type']).toBe('application/json');
    expect(out.response).toMatchObject({ status: 'delivered', httpStatus: 200, body: '{"ok":true}' });
    expect(out.response.ms).toBeGreaterThan(0);
    for (const s of [res.stdout, res.stderr]) expect(s).not.toContain(SECRET.slice(6));
  });

  it('a failed --expect still prints the object, then exits 1', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { status: 401 });
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--json', '--expect', '200']);
    expect(res.code).toBe(1);
    expect((JSON.parse(onlyLine(res.stdout)) as { response: { httpStatus: number } }).response.httpStatus).toBe(401);
  });
});

describe('send --count', () => {
  it('sends N distinct events with at most C in flight and prints a summary', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { delayMs: 20 });
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--count', '40', '--concurrency', '5', '--expect', '2xx']);
    expect(res.code).toBe(0);
    expect(r.requests).toHaveLength(40);
    const ids = new Set(r.requests.map((q) => q.headers['webhook-id']));
    expect(ids.size).toBe(40);
    const bodies = new Set(r.requests.map((q) => q.body.toString()));
    expect(bodies.size).toBe(40);
    for (const q of r.requests) expect(() => new Webhook(SECRET).verify(q.body.toString(), flatHeaders(q.headers))).not.toThrow();
    expect(r.maxInFlight).toBeLessThanOrEqual(5);
    expect(r.maxInFlight).toBeGreaterThan(1);
    expect(res.stderr).toMatch(/<-- 40 requests in [\d.]+ (ms|s) \([\d.]+\/s\)/);
    expect(res.stderr).toMatch(/200\s+40/);
    expect(res.stderr).toMatch(/p50 [\d.]+ ms · p99 [\d.]+ ms/);
    expect(res.stdout).toBe('');
  });

  it('--json prints one summary object; a status other than --expect exits 1', async ({ cleanups, home }) => {
    let n = 0;
    const r = await recorder(cleanups, { status: () => (++n % 4 === 0 ? 503 : 200) });
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--count', '20', '--concurrency', '4', '--json', '--expect', '200']);
    expect(res.code).toBe(1);
    const summary = JSON.parse(onlyLine(res.stdout)) as {
      count: number; concurrency: number; httpStatuses: Record<string, number>; errors: Record<string, number>; ms: { p50: number; p99: number; max: number };
    };
    expect(summary).toMatchObject({ count: 20, concurrency: 4, httpStatuses: { '200': 15, '503': 5 }, errors: {} });
    expect(summary.ms.p50).toBeLessThanOrEqual(summary.ms.p99);
    expect(summary.ms.p99).toBeLessThanOrEqual(summary.ms.max);
    expect(res.stderr).toContain('error: 5 of 20 answers were not 200');
  });
});

describe('send: failures', () => {
  it('nothing listening: one line, exit 1', async ({ home }) => {
    const port = await unusedPort();
    const url = `http://127.0.0.1:${port}/webhook`;
    const message = `nothing is listening at ${url}; start \`etsyhook dev\` or pass --to`;
    for (const extra of [[], ['--count', '3']]) {
      const res = await send(home, ['order.paid', '--to', url, '--secret', SECRET, ...extra]);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      expect(onlyLine(res.stderr)).toBe(`error: ${message}`);
    }
    // --json: the same line, and the failure as JSON on stdout for jq.
    const json = await send(home, ['order.paid', '--to', url, '--secret', SECRET, '--json']);
    expect(json.code).toBe(1);
    expect(onlyLine(json.stderr)).toBe(`error: ${message}`);
    // The documented code (README: unreachable), not the system's ECONNREFUSED.
    expect(JSON.parse(json.stdout)).toEqual({ error: { message, code: 'unreachable' } });
  });

  it('a receiver slower than --timeout: exit 1 saying so; --json says code timeout', async ({ cleanups, home }) => {
    const r = await recorder(cleanups, { hang: true });
    const res = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--timeout', '300ms']);
    expect(res.code).toBe(1);
    expect(onlyLine(res.stderr)).toBe(`error: no answer from ${r.url} within 300 ms; raise --timeout if the receiver is slow`);
    const json = await send(home, ['order.paid', '--to', r.url, '--secret', SECRET, '--timeout', '300ms', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'timeout' } });
  });

  it('a receiver that closes the connection without answering: --json says code reset', async ({ cleanups, home }) => {
    const server = createNetServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
    const json = await send(home, ['order.paid', '--to', url, '--secret', SECRET, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ error: { message: `the connection to ${url} was closed before an answer`, code: 'reset' } });
  });

  it('the default target is 127.0.0.1:5000/webhook', async ({ home }) => {
    const res = await runCli(['send', '--help'], { env: home.env });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('http://127.0.0.1:5000/webhook');
    expect(res.stdout).toContain('Examples:');
  });

  const badInputs: [string, string[], RegExp][] = [
    ['unknown event type, with close matches', ['order.payed'], /^error: unknown event type 'order\.payed' \(did you mean order\.paid/],
    ['malformed --set', ['order.paid', '--set', 'shop_id'], /^error: --set expects key=value/],
    ['empty --set path segment', ['order.paid', '--set', 'a..b=1'], /^error: --set has an empty key segment/],
    ['a secret in the wrong format for the standard scheme', ['order.paid', '--secret', 'not base64!'], /^error: the secret from --secret is not a Standard Webhooks secret/],
    ['an unreadable --data file', ['order.paid', '--data', '/nonexistent/body.json'], /^error: cannot read \/nonexistent\/body\.json: no such file or directory$/],
    ['an invalid URL', ['order.paid', '--to', 'localhost:5000'], /^error: --to (is not a valid URL|must be an http or https URL)/],
    ['a non-numeric timestamp', ['order.paid', '--timestamp', 'yesterday'], /^error: --timestamp must be unix seconds/],
    ['--count with --id', ['order.paid', '--count', '3', '--id', 'msg_x'], /^error: --id cannot be combined with --count/],
    ['--concurrency without --count', ['order.paid', '--concurrency', '3'], /^error: --concurrency only applies with --count/],
    ['--shop with --data', ['order.paid', '--shop', '1', '--data', '-'], /^error: --shop applies to the built fixture/],
    ['--id with the legacy scheme', ['order.paid', '--scheme', 'legacy', '--id', 'x'], /^error: --id sets the webhook-id header/],
    ['an unknown scheme', ['order.paid', '--scheme', 'v2'], /^error: --scheme must be one of standard, legacy/],
    ['a bad --expect', ['order.paid', '--expect', 'ok'], /^error: --expect must be a status/],
    ['a bad --count', ['order.paid', '--count', 'many'], /^error: --count must be a whole number/],
  ];
  it.for(badInputs)('%s: one line, exit 2, nothing sent', async ([_name, args, message], { cleanups, home }) => {
    const r = await recorder(cleanups);
    const extra = [...(args.includes('--to') ? [] : ['--to', r.url]), ...(args.includes('--secret') ? [] : ['--secret', SECRET])];
    const res = await send(home, [...args, ...extra]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(onlyLine(res.stderr)).toMatch(message);
    expect(r.requests).toHaveLength(0);
  });

  it('no secret anywhere: exit 2 naming the three ways', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const res = await send(home, ['order.paid', '--to', r.url]);
    expect(res.code).toBe(2);
    expect(onlyLine(res.stderr)).toMatch(/^error: no signing secret; pass --secret, set ETSY_WEBHOOK_SECRET, or run `etsyhook dev` once/);
    expect(r.requests).toHaveLength(0);
  });
});
