// A redis-server for the bench: Debian's binary on a free loopback port, in a temporary directory, fsync on every
// write (as production should run it), stopped with the bench.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './proc.mjs';

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.setTimeout(1000, () => (sock.destroy(), resolve(false)));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => (sock.destroy(), resolve(d.toString().includes('PONG'))));
    sock.on('error', () => resolve(false));
  });
}

export async function startRedis() {
  for (let tries = 0; tries < 5; tries++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'etsyhook-bench-redis-'));
    const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--loglevel', 'warning'], { stdio: 'ignore' });
    const stop = () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    track(stop);
    const until = Date.now() + 10_000;
    while (Date.now() < until && proc.exitCode === null) {
      if (await ping(port)) return { port, pid: proc.pid, url: `redis://127.0.0.1:${port}`, stop };
      await new Promise((r) => setTimeout(r, 50));
    }
    stop();
  }
  throw new Error(`${REDIS_SERVER} did not start (apt-get install redis-server)`);
}
