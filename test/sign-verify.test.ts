// `etsyhook sign` and `etsyhook verify` through the built CLI.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { it, runCli, type Home } from './support/index.js';
import { flatHeaders, recorder } from './support/recorder.js';

const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const SECRET = VECTOR.secret;
const TRICKY = '{"b": 2, "a":"ünï \\\\ \\"q\\"",\n "it\'s": [ ] }\n';

function file(home: Home, name: string, content: string | Buffer): string {
  const path = join(home.dir, name);
  writeFileSync(path, content);
  return path;
}

function cli(home: Home, args: string[], input?: string, extraEnv: Record<string, string> = {}) {
  return runCli(args, { env: { ...home.env, ...extraEnv }, ...(input === undefined ? {} : { input }) });
}

function onlyLine(s: string): string {
  const lines = s.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

function headerLines(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
}

const now = () => String(Math.floor(Date.now() / 1000));

function sh(command: string, cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('sign', () => {
  it('reproduces the public Standard Webhooks test vector, from a file and from stdin', async ({ home }) => {
    const args = ['--secret', SECRET, '--id', VECTOR.id, '--timestamp', VECTOR.timestamp];
    const expected = `webhook-id: ${VECTOR.id}\nwebhook-timestamp: ${VECTOR.timestamp}\nwebhook-signature: ${VECTOR.signature}\n`;
    const fromFile = await cli(home, ['sign', file(home, 'vector.json', VECTOR.body), ...args]);
    expect(fromFile).toMatchObject({ code: 0, stdout: expected });
    const fromStdin = await cli(home, ['sign', ...args], VECTOR.body);
    expect(fromStdin).toMatchObject({ code: 0, stdout: expected });
    const dash = await cli(home, ['sign', '-', ...args], VECTOR.body);
    expect(dash.stdout).toBe(expected);
  });

  it('--json prints one object of headers', async ({ home }) => {
    const res = await cli(home, ['sign', '--secret', SECRET, '--id', VECTOR.id, '--timestamp', VECTOR.timestamp, '--json'], VECTOR.body);
    expect(res.code).toBe(0);
    expect(JSON.parse(onlyLine(res.stdout))).toEqual({
      'webhook-id': VECTOR.id,
      'webhook-timestamp': VECTOR.timestamp,
      'webhook-signature': VECTOR.signature,
    });
  });

  it('signs what the reference library verifies (fresh id and timestamp by default)', async ({ home }) => {
    const res = await cli(home, ['sign', file(home, 'b.json', TRICKY)], undefined);
    expect(res.code).toBe(2); // no secret anywhere
    const ok = await cli(home, ['sign', file(home, 'b.json', TRICKY)], undefined, { ETSY_WEBHOOK_SECRET: SECRET });
    expect(ok.code).toBe(0);
    const headers = headerLines(ok.stdout);
    expect(headers['webhook-id']).toMatch(/^msg_/);
    expect(() => new Webhook(SECRET).verify(TRICKY, headers)).not.toThrow();
  });

  it('legacy: X-Etsy-Signature is the hex HMAC of timestamp.body keyed by the secret as given', async ({ home }) => {
    const secret = 'plain legacy secret';
    const res = await cli(home, ['sign', '--scheme', 'legacy', '--secret', secret, '--timestamp', '1700000000'], TRICKY);
    expect(res.code).toBe(0);
    const expected = createHmac('sha256', secret).update(`1700000000.${TRICKY}`).digest('hex');
    expect(res.stdout).toBe(`X-Etsy-Signature: ${expected}\nX-Etsy-Timestamp: 1700000000\n`);
  });

  it.skipIf(spawnSync('curl', ['--version']).status !== 0)('--curl prints a command that delivers the exact body, signed', async ({ cleanups, home }) => {
    const r = await recorder(cleanups);
    const withFile = await cli(home, ['sign', file(home, 'body with space.json', TRICKY), '--secret', SECRET, '--curl', `${r.url}?a=1&b=2`, '--timestamp', now()]);
    expect(withFile.code).toBe(0);
    expect(withFile.stdout).toContain("--data-binary '@");
    const fromStdin = await cli(home, ['sign', '--secret', SECRET, '--curl', r.url], TRICKY);
    expect(fromStdin.code).toBe(0);
    for (const command of [withFile.stdout, fromStdin.stdout]) {
      // Asynchronously: the recorder answering curl lives in this process's event loop.
      const run = await sh(command, home.dir);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^HTTP\/1\.1 200/);
    }
    expect(r.requests).toHaveLength(2);
    expect(r.requests[0]!.url).toBe('/webhook?a=1&b=2');
    for (const req of r.requests) {
      expect(req.body.toString('utf8')).toBe(TRICKY);
      expect(req.headers['content-type']).toBe('application/json');
      expect(() => new Webhook(SECRET).verify(req.body.toString('utf8'), flatHeaders(req.headers))).not.toThrow();
    }
  });

  const bad: [string, string[], RegExp][] = [
    ['an unreadable file', ['sign', '/nonexistent/b.json', '--secret', SECRET], /^error: cannot read \/nonexistent\/b\.json: no such file or directory$/],
    ['a non-numeric timestamp', ['sign', '--secret', SECRET, '--timestamp', 'now'], /^error: --timestamp must be unix seconds/],
    ['a millisecond timestamp', ['sign', '--secret', SECRET, '--timestamp', '1614265330000'], /^error: --timestamp must be unix seconds, not milliseconds/],
    ['a secret in the wrong format', ['sign', '--secret', 'whsec_not base64'], /^error: the secret from --secret is not a Standard Webhooks secret/],
    ['--id with legacy', ['sign', '--secret', 'x', '--scheme', 'legacy', '--id', 'msg_1'], /^error: --id sets webhook-id/],
    ['an invalid --curl URL', ['sign', '--secret', SECRET, '--curl', 'example.com/hook'], /^error: --curl (is not a valid URL|must be an http or https URL)/],
    ['an unknown scheme', ['sign', '--secret', SECRET, '--scheme', 'hmac'], /^error: --scheme must be one of standard, legacy/],
  ];
  it.for(bad)('%s: one line, exit 2', async ([_name, args, message], { home }) => {
    const res = await cli(home, args, '{}');
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(onlyLine(res.stderr)).toMatch(message);
  });

  it('--curl with --json: one line on stderr, exit 2, and the error as JSON on stdout for scripts', async ({ home }) => {
    const res = await cli(home, ['sign', '--secret', SECRET, '--curl', 'http://127.0.0.1:1/', '--json'], '{}');
    expect(res.code).toBe(2);
    expect(onlyLine(res.stderr)).toBe('error: --curl and --json cannot be combined: pick one output');
    expect(JSON.parse(res.stdout)).toEqual({ error: { message: '--curl and --json cannot be combined: pick one output', code: 'usage' } });
  });

  it('an empty --secret or ETSY_WEBHOOK_SECRET is a usage error naming it, never the stored secret', async ({ home }) => {
    await cli(home, ['config', 'set', 'webhook-secret', SECRET], '');
    const flag = await cli(home, ['sign', '--secret', ''], '{}');
    expect(flag.code).toBe(2);
    expect(flag.stdout).toBe('');
    expect(onlyLine(flag.stderr)).toMatch(/^error: --secret is empty/);
    const variable = await cli(home, ['sign'], '{}', { ETSY_WEBHOOK_SECRET: '' });
    expect(variable.code).toBe(2);
    expect(variable.stdout).toBe('');
    expect(onlyLine(variable.stderr)).toMatch(/^error: ETSY_WEBHOOK_SECRET is set but empty/);
    const verifyEmpty = await cli(home, ['verify', '-H', 'webhook-id: msg_1'], '{}', { ETSY_WEBHOOK_SECRET: '' });
    expect(verifyEmpty.code).toBe(2);
    expect(onlyLine(verifyEmpty.stderr)).toMatch(/^error: ETSY_WEBHOOK_SECRET is set but empty/);
  });

  it('sign of an empty stdin warns, and still signs the 0 bytes', async ({ home }) => {
    const res = await cli(home, ['sign', '--secret', SECRET], '');
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/warning: stdin is empty; signing 0 bytes anyway/);
    expect(res.stdout).toMatch(/^webhook-signature: v1,/m);
  });
});

describe('verify', () => {
  async function signed(home: Home, body: string, extra: string[] = []): Promise<Record<string, string>> {
    const res = await cli(home, ['sign', '--secret', SECRET, ...extra], body);
    expect(res.code).toBe(0);
    return headerLines(res.stdout);
  }
  const asFlags = (h: Record<string, string>) => Object.entries(h).flatMap(([k, v]) => ['--header', `${k}: ${v}`]);

  it('round trip: what sign prints, verify accepts (exit 0, verdict on stdout)', async ({ home }) => {
    const h = await signed(home, TRICKY);
    const res = await cli(home, ['verify', file(home, 'b.json', TRICKY), '--secret', SECRET, ...asFlags(h)]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`valid (standard, id ${h['webhook-id']})\n`);
    const json = await cli(home, ['verify', '--secret', SECRET, ...asFlags(h), '--json'], TRICKY);
    expect(json.code).toBe(0);
    expect(JSON.parse(onlyLine(json.stdout))).toMatchObject({ valid: true, scheme: 'standard', reason: null, id: h['webhook-id'] });
  });

  it('the public test vector is valid at its time (--tolerance) and stale now', async ({ home }) => {
    const flags = ['--header', `webhook-id: ${VECTOR.id}`, '--header', `webhook-timestamp: ${VECTOR.timestamp}`, '--header', `webhook-signature: ${VECTOR.signature}`];
    const stale = await cli(home, ['verify', '--secret', SECRET, ...flags], VECTOR.body);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/^invalid: stale timestamp: signed \d+ s ago, more than the 300 s tolerance\n$/);
    expect(stale.stderr).toMatch(/pass --tolerance \d+/);
    const old = await cli(home, ['verify', '--secret', SECRET, ...flags, '--tolerance', '999999999'], VECTOR.body);
    expect(old.code).toBe(0);
    expect(old.stdout).toBe(`valid (standard, id ${VECTOR.id})\n`);
  });

  it('legacy: detected from the headers', async ({ home }) => {
    const secret = 'legacy-secret';
    const res = await cli(home, ['sign', '--scheme', 'legacy', '--secret', secret], TRICKY);
    const h = headerLines(res.stdout);
    const ok = await cli(home, ['verify', file(home, 'b.json', TRICKY), '--secret', secret, ...asFlags(h), '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(onlyLine(ok.stdout))).toMatchObject({ valid: true, scheme: 'legacy', reason: null });
    const wrong = await cli(home, ['verify', file(home, 'b.json', TRICKY), '--secret', 'other', ...asFlags(h)]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^invalid: no matching signature/);
  });

  it('gives the precise reason for each way a delivery can be invalid', async ({ home }) => {
    const body = file(home, 'b.json', TRICKY);
    const h = await signed(home, TRICKY);
    const cases: [string, string[], string, RegExp][] = [
      ['wrong secret', ['--secret', `whsec_${Buffer.alloc(32, 1).toString('base64')}`, ...asFlags(h)], 'no_matching_signature', /^invalid: no matching signature/],
      ['missing header', ['--secret', SECRET, '--header', `webhook-id: ${h['webhook-id']}`, '--header', `webhook-signature: ${h['webhook-signature']}`], 'missing_header', /^invalid: missing header webhook-timestamp/],
      ['no signature headers at all', ['--secret', SECRET, '--header', 'content-type: application/json'], 'missing_header', /^invalid: missing signature headers/],
      ['stale', ['--secret', SECRET, ...asFlags(await signed(home, TRICKY, ['--timestamp', String(Number(now()) - 3600)]))], 'stale_timestamp', /^invalid: stale timestamp: signed 360\d s ago/],
      ['future', ['--secret', SECRET, ...asFlags(await signed(home, TRICKY, ['--timestamp', String(Number(now()) + 3600)]))], 'future_timestamp', /^invalid: timestamp in the future/],
      ['malformed timestamp', ['--secret', SECRET, ...asFlags({ ...h, 'webhook-timestamp': '2024-01-01T00:00:00Z' })], 'malformed_header', /^invalid: malformed timestamp header/],
      ['malformed signature', ['--secret', SECRET, ...asFlags({ ...h, 'webhook-signature': 'g0hM9SsE' })], 'malformed_header', /^invalid: malformed webhook-signature entry/],
      ['unsupported version', ['--secret', SECRET, ...asFlags({ ...h, 'webhook-signature': h['webhook-signature']!.replace('v1,', 'v2,') })], 'unsupported_version', /^invalid: unsupported signature version/],
    ];
    for (const [name, args, reason, message] of cases) {
      const res = await cli(home, ['verify', body, ...args]);
      expect(res.code, name).toBe(1);
      expect(onlyLine(res.stdout), name).toMatch(message);
      const json = await cli(home, ['verify', body, ...args, '--json']);
      expect(json.code, name).toBe(1);
      expect(JSON.parse(onlyLine(json.stdout)), name).toMatchObject({ valid: false, reason });
    }
    // The body must be the exact bytes: re-serialised JSON does not verify.
    const reserialised = await cli(home, ['verify', file(home, 'pretty.json', JSON.stringify(JSON.parse(TRICKY), null, 2)), '--secret', SECRET, ...asFlags(h)]);
    expect(reserialised.code).toBe(1);
    expect(reserialised.stdout).toMatch(/^invalid: no matching signature/);
    expect(reserialised.stderr).toMatch(/exact bytes/);
  });

  it('takes headers as pasted from a log: any case, extra spaces, several signatures', async ({ home }) => {
    const h = await signed(home, TRICKY);
    const res = await cli(home, [
      'verify', file(home, 'b.json', TRICKY), '--secret', SECRET,
      '-H', `  WEBHOOK-ID :   ${h['webhook-id']}  `,
      '-H', `Webhook-Timestamp:${h['webhook-timestamp']}`,
      '-H', `webhook-signature: v1a,ignored v1,AAAA ${h['webhook-signature']}`,
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`valid (standard, id ${h['webhook-id']})\n`);
  });

  it('--headers-file reads an HTTP dump, curl -v output, or a JSON object', async ({ home }) => {
    const body = file(home, 'b.json', TRICKY);
    const h = await signed(home, TRICKY);
    const dump = [
      'POST http://127.0.0.1:5000/webhook HTTP/1.1',
      'Host: 127.0.0.1:5000',
      'Content-Type: application/json',
      `Webhook-Id: ${h['webhook-id']}`,
      `Webhook-Timestamp: ${h['webhook-timestamp']}`,
      `Webhook-Signature: ${h['webhook-signature']}`,
      '',
      '{"event_type": "order.paid", "shop_id": 1}',
    ].join('\r\n');
    const curlV = ['*   Trying 127.0.0.1:5000...', '> POST /webhook HTTP/1.1', '> Host: 127.0.0.1:5000', ...Object.entries(h).map(([k, v]) => `> ${k}: ${v}`), '>', '< HTTP/1.1 200 OK'].join('\n');
    const json = JSON.stringify({ ...h, 'content-type': 'application/json' }, null, 2);
    const pythonDict = `{${Object.entries(h).map(([k, v]) => `'${k}': '${v}'`).join(', ')}}`;
    for (const [name, text] of [['dump', dump], ['curl -v', curlV], ['json', json], ['python dict', pythonDict]] as const) {
      const res = await cli(home, ['verify', body, '--secret', SECRET, '--headers-file', file(home, `${name}.txt`, text)]);
      expect(res.code, `${name}: ${res.stderr}`).toBe(0);
      expect(res.stdout, name).toBe(`valid (standard, id ${h['webhook-id']})\n`);
    }
    // Headers from stdin, body from a file.
    const fromStdin = await cli(home, ['verify', body, '--secret', SECRET, '--headers-file', '-'], dump);
    expect(fromStdin.code).toBe(0);
  });

  const bad: [string, string[], RegExp][] = [
    ['no headers', ['verify', '--secret', SECRET], /^error: no headers to check; pass the delivery's headers with --header/],
    ['a header without a colon', ['verify', '--secret', SECRET, '--header', 'webhook-id msg_1'], /^error: --header expects 'name: value', got 'webhook-id msg_1'$/],
    ['an unreadable body file', ['verify', '/nonexistent/b.json', '--secret', SECRET, '-H', 'webhook-id: x'], /^error: cannot read \/nonexistent\/b\.json/],
    ['an unreadable headers file', ['verify', '--secret', SECRET, '--headers-file', '/nonexistent/h.txt'], /^error: cannot read \/nonexistent\/h\.txt/],
    ['a headers file with no headers', ['verify', '--secret', SECRET, '--headers-file', '/dev/null'], /^error: no 'name: value' headers found in \/dev\/null$/],
    ['both from stdin', ['verify', '-', '--secret', SECRET, '--headers-file', '-'], /^error: the body and --headers-file cannot both come from stdin/],
    ['a non-numeric tolerance', ['verify', '--secret', SECRET, '-H', 'webhook-id: x', '--tolerance', '5m'], /^error: --tolerance must be a whole number/],
    ['a standard secret in the wrong format', ['verify', '--secret', 'not-base64!', '-H', 'webhook-id: x', '-H', 'webhook-timestamp: 1', '-H', 'webhook-signature: v1,x'], /^error: the secret from --secret is not a Standard Webhooks secret/],
  ];
  it.for(bad)('%s: one line, exit 2', async ([_name, args, message], { home }) => {
    const res = await cli(home, args, '{}');
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(onlyLine(res.stderr)).toMatch(message);
  });

  it('has an example in --help', async ({ home }) => {
    for (const command of ['sign', 'verify']) {
      const res = await cli(home, [command, '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('Example');
    }
  });
});
