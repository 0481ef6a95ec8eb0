// Processes the bench starts: every one is registered and killed by its own id on exit, failure or Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const children = new Set();

export function track(kill) {
  children.add(kill);
  return () => children.delete(kill);
}

export function killAll() {
  for (const kill of [...children]) {
    try {
      kill();
    } catch {
      /* already gone */
    }
  }
  children.clear();
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
process.on('exit', killAll);

/**
 * Start a long-running process and resolve once `ready` matches its stdout or stderr.
 * Returns { child, pid, out(), err(), stop() }.
 */
export function startProcess(cmd, args, { env = process.env, cwd, ready, timeoutMs = 20_000, name = cmd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let done = false;
    const untrack = track(() => child.kill('SIGKILL'));
    const exited = new Promise((r) => child.on('exit', (code, signal) => { untrack(); r({ code, signal }); }));
    const handle = {
      child,
      pid: child.pid,
      out: () => out,
      err: () => err,
      exited,
      async stop(signal = 'SIGTERM', graceMs = 5000) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill(signal);
          const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const r = await exited;
          clearTimeout(t);
          return r;
        }
        return exited;
      },
    };
    const check = () => {
      if (!done && ready.test(out + err)) {
        done = true;
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout.on('data', (d) => { if (out.length < 1 << 20) out += d; check(); });
    child.stderr.on('data', (d) => { if (err.length < 1 << 20) err += d; check(); });
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`${name} did not become ready within ${timeoutMs} ms\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${name} could not start: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`));
    });
  });
}

/** VmHWM / VmRSS of a process, in MB (undefined once it is gone). */
export function memoryMB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

const CLK_TCK = 100;

function statOf(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // fields after "(comm)": state(3) ppid(4) ... utime(14) stime(15)
  return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

/** CPU seconds used so far by the processes under any of `roots` (and the roots themselves). */
export function treeCpuSeconds(...roots) {
  const parent = new Map();
  const ticks = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = statOf(Number(name));
      parent.set(Number(name), st.ppid);
      ticks.set(Number(name), st.ticks);
    } catch {
      /* gone */
    }
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    let p = pid;
    for (let depth = 0; depth < 20 && p > 1; depth++) {
      if (roots.includes(p)) {
        total += t;
        break;
      }
      p = parent.get(p) ?? 0;
    }
  }
  return total / CLK_TCK;
}

/** Run to completion, synchronously; returns { code, stdout, stderr, ms }. */
export function runTimed(cmd, args, { env = process.env, cwd, timeoutMs = 60_000, input } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, cwd, timeout: timeoutMs, maxBuffer: 1 << 28, input });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { code: r.status, signal: r.signal, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '', ms, error: r.error };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
export function machineBusySeconds() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const [user, nice, system, , , irq, softirq, steal] = line;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / CLK_TCK;
}

/** CPU seconds of this process's children that have exited and been reaped (cutime + cstime). */
export function reapedChildrenCpuSeconds() {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // after "(comm)": cutime is field 16, cstime 17 → rest[13], rest[14]
  return (Number(rest[13]) + Number(rest[14])) / CLK_TCK;
}
