// The package as a user gets it: a copy of what git tracks (a clone, without the developer's dist/ or node_modules),
// npm run on it with warnings shown, the tarball `npm pack` makes, and the files in it.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, type RunResult } from './process.mjs';
import type { Scope } from './scope.js';

/** The files git tracks in this checkout (what a clone has), relative to ROOT. */
export function trackedFiles(): string[] {
  let out: string;
  try {
    out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  } catch (err) {
    throw new Error(`this test needs a git checkout and git on PATH (apt-get install git): ${(err as Error).message}`);
  }
  return out.split('\0').filter((f) => f !== '');
}

/** A temporary directory, removed when the scope ends. */
export function tempDir(scope: Scope, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `etsyhook-${label}-`));
  scope.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A clone-like copy of the checkout: every tracked file as committed or edited, nothing built, no node_modules. */
export function trackedCopy(scope: Scope): string {
  const dir = tempDir(scope, 'clone');
  for (const f of trackedFiles()) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dir, f));
  }
  return dir;
}

/**
 * Run npm to completion with its warnings on (CI quiets npm to errors; these tests look for warnings), from the
 * local cache where it can (`--prefer-offline`), without audit or funding requests.
 */
export function npm(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    npm_config_loglevel: 'warn',
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_prefer_offline: 'true',
  };
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
    child.on('error', (e) => reject(new Error(`could not run npm: ${e.message}`)));
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
  });
}

/** npm's own warning lines in an output (`npm warn …`, `npm WARN …`). */
export function npmWarnings(output: string): string[] {
  return output.split('\n').filter((l) => /^npm warn/i.test(l.trim()));
}

/** `npm pack` in `dir` into a fresh directory: the tarball's path, and what npm said. */
export async function npmPack(scope: Scope, dir: string): Promise<{ tarball: string; result: RunResult }> {
  const dest = tempDir(scope, 'pack');
  const result = await npm(['pack', '--pack-destination', dest], { cwd: dir });
  if (result.code !== 0) throw new Error(`npm pack failed (${result.code}): ${result.stderr.slice(-2000)}`);
  const tarballs = readdirSync(dest).filter((f) => /^etsyhook-.*\.tgz$/.test(f));
  if (tarballs.length !== 1) throw new Error(`npm pack made ${tarballs.length} tarballs in ${dest}: ${readdirSync(dest).join(', ')}`);
  return { tarball: join(dest, tarballs[0]!), result };
}

/** The paths inside a tarball, without npm's leading `package/`. */
export function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l !== '' && !l.endsWith('/'))
    .map((l) => l.replace(/^package\//, ''));
}

/** One file's text from a tarball. */
export function tarballText(tarball: string, file: string): string {
  return execFileSync('tar', ['xzf', tarball, '-O', `package/${file}`], { encoding: 'utf8' });
}
