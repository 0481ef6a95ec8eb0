// Interoperability with a receiver nobody here wrote: the seed chapter's Flask app under gunicorn
// (../shared/peers/seed-flask/start.sh), which checks X-Etsy-Signature — the legacy scheme.
// start.sh apt-installs python3-flask and gunicorn on first use (.ci/run installs them too); where that is impossible
// the tests fail, saying why.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { it, unusedPort, runCli, type Home } from './support/index.js';
import { sharedFile } from './support/shared.js';

const START = sharedFile('peers/seed-flask/start.sh');
const SECRET = 'seed-flask-shared-secret';
const START_TIMEOUT_MS = 170_000;

let peer: { url: string; pid: number } | undefined;
let skipReason = '';
/** shared/ is missing (a user's clone): the tests are skipped with the reason; any other trouble fails them. */
let absent: string | undefined;

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      done({ code: null, stdout, stderr: `${stderr}${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (START.missing !== undefined) {
    absent = START.missing;
    return;
  }
  const port = await unusedPort();
  const started = await run('bash', [START.path, String(port), SECRET, '1'], START_TIMEOUT_MS);
  const pid = Number(started.stdout.trim().split('\n').pop());
  if (started.code !== 0 || !Number.isInteger(pid) || pid <= 0) {
    const why = started.code === null ? `no answer within ${START_TIMEOUT_MS / 1000} s` : (started.stderr.trim().split('\n').pop() ?? `exit ${started.code}`);
    skipReason = `the seed's Flask receiver could not be installed or started: ${why}`;
    return;
  }
  peer = { url: `http://127.0.0.1:${port}/webhook`, pid };
}, START_TIMEOUT_MS + 10_000);

afterAll(() => {
  if (peer === undefined) return;
  // start.sh runs gunicorn under setsid: its PID leads a process group holding the workers.
  try {
    process.kill(-peer.pid, 'SIGTERM');
  } catch {
    try {
      process.kill(peer.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
});

/**
 * The peer; a skip with the reason where shared/ is missing (a bare clone), else a loud failure saying why it could
 * not be had (a real component is never quietly skipped).
 */
function needPeer(skip: (note?: string) => never): { url: string } {
  if (peer !== undefined) return peer;
  if (absent !== undefined) skip(absent);
  throw new Error(`interop with the seed's Flask receiver cannot run: ${skipReason}`);
}

function send(home: Home, args: string[]) {
  return runCli(['send', ...args], { env: home.env, timeoutMs: 30_000 });
}

describe("interop with the seed chapter's Flask receiver", () => {
  it('accepts a legacy-scheme event (200)', async ({ home, skip }) => {
    const { url } = needPeer(skip);
    const res = await send(home, ['receipt.created', '--to', url, '--scheme', 'legacy', '--secret', SECRET, '--expect', '200', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { response: { httpStatus: number; body: string } };
    expect(out.response.httpStatus).toBe(200);
    expect(JSON.parse(out.response.body)).toEqual({ status: 'received' });
  });

  it('answers 401 to a wrong secret', async ({ home, skip }) => {
    const { url } = needPeer(skip);
    const res = await send(home, ['receipt.created', '--to', url, '--scheme', 'legacy', '--secret', 'not-the-secret', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { response: { httpStatus: number; body: string } };
    expect(out.response.httpStatus).toBe(401);
    expect(out.response.body).toContain('Invalid signature');
    // --expect turns that into a CI failure.
    const expectOk = await send(home, ['receipt.created', '--to', url, '--scheme', 'legacy', '--secret', 'not-the-secret', '--expect', '2xx']);
    expect(expectOk.code).toBe(1);
    expect(expectOk.stderr).toContain('expected status 2xx, got 401');
  });

  it('accepts every event type, --set overrides and a batch of distinct events', async ({ home, skip }) => {
    const { url } = needPeer(skip);
    const res = await send(home, ['listing.updated', '--to', url, '--scheme', 'legacy', '--secret', SECRET, '--set', 'title=Mug ☕ "blue" \\ 12€', '--expect', '200']);
    expect(res.code, res.stderr).toBe(0);
    const batch = await send(home, ['order.paid', '--to', url, '--scheme', 'legacy', '--secret', SECRET, '--count', '30', '--concurrency', '4', '--expect', '200', '--json']);
    expect(batch.code, batch.stderr).toBe(0);
    expect(JSON.parse(batch.stdout)).toMatchObject({ count: 30, httpStatuses: { '200': 30 } });
  });

  it('rejects the standard scheme (it only knows X-Etsy-Signature): why --scheme legacy exists', async ({ home, skip }) => {
    const { url } = needPeer(skip);
    const res = await send(home, ['order.paid', '--to', url, '--secret', `whsec_${Buffer.from(SECRET).toString('base64')}`, '--expect', '401']);
    expect(res.code, res.stderr).toBe(0);
  });
});
