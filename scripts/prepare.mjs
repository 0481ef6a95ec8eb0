// `npm install` on a clone builds the CLI (npm runs `prepare`). `npx etsyhook` in that clone (the README's first
// command) links the clone into npx's cache and runs `prepare` again: a second full build of ~15 s, and Ctrl-C during
// it leaves npx's cache entry broken ("Could not read package.json"). So this builds only when dist/ is older than
// something it is built from; `npm run build` always builds.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BUILT = 'dist/help.json'; // written last by the build
const SOURCES = ['src', 'scripts', 'bin', 'tsconfig.json', 'package.json', 'package-lock.json'];

function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), stat.mtimeMs);
}

const built = newest(BUILT);
if (built === 0 || SOURCES.some((s) => newest(s) > built)) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
  process.exitCode = run.status ?? 1;
}
