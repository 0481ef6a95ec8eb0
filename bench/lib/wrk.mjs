// wrk (Debian's package) as a second load generator, to cross-check autocannon's figures: wrk is C and costs the
// shared 2-core machine far less CPU per request, so a side's rate depends less on the generator stealing its CPU.
// Every request is still a distinct, correctly signed event: a ring of fixed-length raw requests is written to a
// file first (fresh webhook-ids, the current timestamp), and the Lua script hands them out in order. A run that
// would wrap around the ring (and so repeat an id) fails.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeStandardSecret, orderBody } from './events.mjs';

const LUA = `
local data, L, n, i
init = function(args)
  local f = assert(io.open(args[1], "rb"))
  data = f:read("*a")
  f:close()
  L = tonumber(args[2])
  n = math.floor(#data / L)
  i = 0
end
request = function()
  local k = i % n
  i = i + 1
  return data:sub(k * L + 1, (k + 1) * L)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

export function wrkAvailable() {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Write `count` distinct signed requests of one fixed length; returns { file, length }. */
function writeRing(dir, { host, path, scheme, secret, tag, count }) {
  const key = scheme === 'standard' ? decodeStandardSecret(secret) : Buffer.from(secret, 'utf8');
  const ts = Math.floor(Date.now() / 1000);
  const head = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\ncontent-type: application/json\r\n`;
  const one = (i) => {
    const body = orderBody(i);
    let sig;
    if (scheme === 'standard') {
      const id = `msg_${tag}${String(i).padStart(10, '0')}`;
      sig = `webhook-id: ${id}\r\nwebhook-timestamp: ${ts}\r\nwebhook-signature: v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}\r\n`;
    } else {
      sig = `X-Etsy-Signature: ${createHmac('sha256', key).update(`${ts}.${body}`).digest('hex')}\r\nX-Etsy-Timestamp: ${ts}\r\n`;
    }
    return `${head}${sig}Content-Length: ${body.length}\r\n\r\n${body}`;
  };
  const length = Buffer.byteLength(one(0));
  const file = join(dir, `ring-${tag}.bin`);
  const fd = openSync(file, 'w');
  try {
    const perWrite = 4096;
    for (let start = 0; start < count; start += perWrite) {
      let s = '';
      for (let i = start; i < Math.min(count, start + perWrite); i++) s += one(i);
      const buf = Buffer.from(s, 'latin1');
      if (buf.length !== length * (Math.min(count, start + perWrite) - start)) throw new Error('wrk ring: requests of unequal length');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off);
    }
  } finally {
    closeSync(fd);
  }
  return { file, length };
}

/** Asynchronous on purpose: the bench keeps reading the servers' output pipes while wrk runs. */
function runWrk({ url, connections, seconds, ring, script }) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url, '--', ring.file, String(ring.length)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    child.on('error', (e) => reject(new Error(`wrk could not run: ${e.message}`)));
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /WRKJSON (\{.*\})/.exec(out);
      if (!m) reject(new Error(`wrk printed no summary (exit ${code}): ${(err || out).slice(0, 500)}`));
      else resolve(JSON.parse(m[1]));
    });
  });
}

/**
 * Warm up, then measure one side with wrk; the ring for the measured run is sized from the warm-up's rate.
 * Returns the same shape as the autocannon measure (rps, p50, p99, ok, errors …).
 */
export async function wrkMeasure(name, { url, scheme, secret, connections, duration, warmup, tag, onMeasure }) {
  const u = new URL(url);
  const dir = mkdtempSync(join(tmpdir(), 'etsyhook-bench-wrk-'));
  const script = join(dir, 'ring.lua');
  writeFileSync(script, LUA);
  try {
    const warmCount = 150_000;
    const warmRing = writeRing(dir, { host: u.host, path: u.pathname, scheme, secret, tag: `${tag}w`, count: warmCount });
    const warm = await runWrk({ url, connections, seconds: warmup, ring: warmRing, script });
    rmSync(warmRing.file, { force: true });
    if (warm.requests + connections >= warmCount) throw new Error(`${name}: the warm-up used up its ring of ${warmCount} requests`);
    const warmRate = warm.requests / (warm.duration_us / 1e6);
    // Generous: the warm-up may have run while other work slowed the machine. At least 60,000 a second (bare Node
    // does ~50,000 here), at most 1.5 million (~650 MB of requests).
    const count = Math.min(1_500_000, Math.max(Math.ceil(warmRate * duration * 2.5), 60_000 * duration) + 20_000);
    const ring = writeRing(dir, { host: u.host, path: u.pathname, scheme, secret, tag: `${tag}m`, count });
    onMeasure?.('start');
    const r = await runWrk({ url, connections, seconds: duration, ring, script });
    onMeasure?.('end');
    if (r.requests + connections >= count) throw new Error(`${name}: the run used up its ring of ${count} distinct requests (ids would repeat)`);
    const errors = warm.connect + warm.read + warm.write + warm.timeout + r.connect + r.read + r.write + r.timeout;
    const non2xx = warm.status + r.status;
    const ok = r.requests - r.status;
    return {
      name,
      rps: ok / (r.duration_us / 1e6),
      p50: r.p50_us / 1000,
      p99: r.p99_us / 1000,
      max: r.max_us / 1000,
      ok,
      okTotal: ok + warm.requests - warm.status,
      non2xx,
      errors,
      // wrk counts completed requests; up to one per connection per run is still in flight when it stops.
      sent: warm.requests + r.requests + 2 * connections,
      requestsTotal: r.requests,
      duration: r.duration_us / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
