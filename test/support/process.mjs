// The built CLI as a user runs it, shared by the tests and the bench (plain JS so `node bench/run.mjs` can import it):
// a fresh ETSYHOOK_HOME, an environment with nothing of the machine's leaking in, and `etsyhook dev` on port 0 whose
// real URL is read back from its Ready line. Every child started here is killed by its own id when this process exits.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'etsyhook.js');

const live = new Set();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A fresh, empty directory for ETSYHOOK_HOME; removed by the returned cleanup. */
export function tempHome(label = 'test') {
  const dir = mkdtempSync(join(tmpdir(), `etsyhook-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const LEAKS = /^(ETSY|ETSYHOOK|NGROK|DEBUG|FORCE_COLOR|NO_COLOR|HTTPS?_PROXY|NO_PROXY|ALL_PROXY|NODE_OPTIONS)$|^(ETSY|ETSYHOOK|NGROK)_/i;

/** An environment with nothing of the developer's leaking in (no Etsy or ngrok variables, proxies, colour or
 *  NODE_OPTIONS), ETSYHOOK_HOME set and CI on; `extra` entries set to undefined are removed. */
export function cleanEnv(home, extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!LEAKS.test(k)) env[k] = v;
  env.ETSYHOOK_HOME = home;
  env.CI = 'true';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** What to spawn: the built CLI through this node, or `options.command` (e.g. an installed copy's bin, or npx). */
function commandLine(args, options) {
  if (options.command) return [options.command[0], [...options.command.slice(1), ...args]];
  return [process.execPath, [...(options.nodeArgs ?? []), BIN, ...args]];
}

/** Run the built CLI to completion. */
export function runCli(args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const [file, argv] = commandLine(args, options);
    const child = spawn(file, argv, { env: options.env ?? process.env, cwd: options.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** Start the CLI as a long-running process; resolves once `ready` matches its stderr. `stop` sends a signal (SIGKILL
 *  after `graceMs`) and resolves with the exit code. */
export function startCli(args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const [file, argv] = commandLine(args, options);
    const child = spawn(file, argv, { env: options.env ?? process.env, cwd: options.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    const ready = options.ready ?? /Ready|listening/;
    let done = false;
    const exited = new Promise((r) => child.on('exit', (code) => {
      live.delete(child);
      r(code);
    }));
    const handle = {
      child,
      pid: child.pid,
      exited,
      stdout: () => stdout,
      stderr: () => stderr,
      async stop(signal = 'SIGTERM', graceMs = 10_000) {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        child.kill(signal);
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(t);
        return code;
      },
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`etsyhook ${args[0]} did not become ready within ${options.timeoutMs ?? 20_000} ms: ${stderr.slice(-2000)}`));
    }, options.timeoutMs ?? 20_000);
    // `keepChars` bounds what is kept of each stream (the bench pushes millions of lines through a dev).
    const keep = options.keepChars ?? Infinity;
    child.stdout.on('data', (d) => { if (stdout.length < keep) stdout += d; });
    child.stderr.on('data', (d) => {
      if (stderr.length < keep) stderr += d;
      if (!done && ready.test(stderr)) {
        done = true;
        clearTimeout(timer);
        resolvePromise(handle);
      }
    });
    child.on('error', (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`etsyhook could not start: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`etsyhook ${args[0]} exited (${signal ?? code}) before it was ready: ${stderr.slice(-2000)}`));
    });
  });
}

const READY = /Ready: listening on (\S+)\. Press/;

/** The URL a `dev` banner says it listens on (its Ready line), or undefined. */
export function readyUrl(stderr) {
  return READY.exec(stderr)?.[1];
}

/**
 * `etsyhook dev --no-tunnel --port 0` (unless args say `--tunnel` or `--port`), with `--secret` when given; resolves
 * once the Ready line is printed, with the URL and port it names: the port is the kernel's, never a probed one.
 */
export async function launchDev({ env, args = [], secret, port = 0, nodeArgs, timeoutMs = 20_000, keepChars, command, cwd }) {
  const tunnel = args.includes('--tunnel') ? [] : ['--no-tunnel'];
  const portArgs = args.includes('--port') ? [] : ['--port', String(port)];
  const secretArgs = secret ? ['--secret', secret] : [];
  const rest = args.filter((a) => a !== '--tunnel');
  const proc = await startCli(['dev', ...tunnel, ...portArgs, ...secretArgs, ...rest], { env, nodeArgs, timeoutMs, keepChars, command, cwd, ready: READY });
  const url = readyUrl(proc.stderr());
  const parsed = new URL(url);
  return { ...proc, url, origin: parsed.origin, port: Number(parsed.port) };
}
