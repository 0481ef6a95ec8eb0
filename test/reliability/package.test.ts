// The package a user installs, made and installed the way a user does: a clone (the files git tracks) gets
// `npm install` (the README's first command, which builds through `prepare`) and `npx etsyhook dev`; `npm pack` of it
// makes the tarball; `npm install -g ./etsyhook-*.tgz` into an empty prefix installs it; and the installed copy,
// with nothing of the checkout around it, answers --version, sends, and receives.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { cleanEnv, drain, it, launchDev, newHome, ROOT, runCli, SECRET, type Cleanup, type RunResult } from '../support/index.js';
import { npm, npmPack, npmWarnings, tarballFiles, tarballText, tempDir, trackedCopy } from '../support/package.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

const scope: Cleanup[] = [];
let clone: string;
let cloneInstall: RunResult;
let tarball: string;
let pack: RunResult;

beforeAll(async () => {
  clone = trackedCopy(scope);
  cloneInstall = await npm(['install'], { cwd: clone });
  if (cloneInstall.code !== 0) throw new Error(`npm install on a clone failed: ${cloneInstall.stderr.slice(-2000)}`);
  ({ tarball, result: pack } = await npmPack(scope, clone));
}, 420_000);
afterAll(() => drain(scope));

describe('the package a user installs', () => {
  it("a clone: `npm install` builds it (prepare), `npx etsyhook dev --no-tunnel` starts, and npm pack leaves package.json as committed", async ({ cleanups, home }) => {
    expect(existsSync(join(clone, 'dist', 'cli.js'))).toBe(true);
    expect(readFileSync(join(clone, 'package.json'), 'utf8')).toBe(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(existsSync(join(clone, 'package.json.prepack'))).toBe(false);
    const dev = await launchDev({ env: home.env, secret: SECRET, command: ['npx', 'etsyhook'], cwd: clone, timeoutMs: 60_000 });
    cleanups.push(() => dev.stop());
    expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);
  });

  it('the tarball holds bin, dist, package.json and README: no src, no tests, no source maps, no dev dependency; its package.json has no prepare', () => {
    const files = tarballFiles(tarball);
    expect(files).toContain('bin/etsyhook.js');
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/help.json');
    expect(files).toContain('dist/inspector/assets/index.html');
    const tops = [...new Set(files.map((f) => f.split('/')[0]))].sort();
    expect(tops).toEqual(['README.md', 'bin', 'dist', 'package.json']);
    expect(files.filter((f) => /\.test\.|\.map$|\.ts$|node_modules/.test(f))).toEqual([]);
    const devNames = Object.keys(pkg.devDependencies);
    expect(files.filter((f) => devNames.some((d) => f.includes(d.replace(/^@types\//, ''))))).toEqual([]);
    const manifest = JSON.parse(tarballText(tarball, 'package.json')) as { scripts: Record<string, string>; version: string };
    expect(manifest.version).toBe(pkg.version);
    expect(Object.keys(manifest.scripts)).not.toContain('prepare');
    expect(npmWarnings(pack.stdout + pack.stderr)).toEqual([]);
  });

  it('npm install -g of the tarball into an empty prefix: no npm warning, no dev dependency; --version, send and dev --no-tunnel from it', async ({ cleanups }) => {
    const prefix = tempDir(cleanups, 'prefix');
    const install = await npm(['install', '-g', tarball, '--prefix', prefix], { cwd: prefix });
    expect(install.code).toBe(0);
    expect(npmWarnings(install.stdout + install.stderr)).toEqual([]);
    const installed = join(prefix, 'lib', 'node_modules', 'etsyhook');
    expect(existsSync(join(installed, 'src'))).toBe(false);
    for (const d of Object.keys(pkg.devDependencies)) expect(existsSync(join(installed, 'node_modules', d)), d).toBe(false);

    const bin = [join(prefix, 'bin', 'etsyhook')];
    const home = newHome(cleanups);
    // Run from the prefix, not the checkout: nothing of it can be picked up.
    const version = await runCli(['--version'], { command: bin, cwd: prefix, env: home.env });
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });

    const dev = await launchDev({ env: home.env, secret: SECRET, command: bin, cwd: prefix });
    cleanups.push(() => dev.stop());
    const sent = await runCli(['send', 'order.paid', '--to', dev.url, '--secret', SECRET, '--json'], { command: bin, cwd: prefix, env: cleanEnv(home.dir) });
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ response: { httpStatus: 200, status: 'delivered' } });
    const listed = await runCli(['events', 'list', '--json'], { command: bin, cwd: prefix, env: home.env });
    expect((JSON.parse(listed.stdout) as { type: string; status: string }[]).map((e) => `${e.type} ${e.status}`)).toEqual(['order.paid accepted']);
  });
});
