// `npm install` builds through `prepare`; `npx etsyhook` in the clone runs `prepare` again (npx links the clone into
// its cache). That second run must not rebuild what is already built.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT, it } from './support/index.js';

it('prepare leaves an up-to-date build alone (npx in a clone does not build twice)', () => {
  const help = join(ROOT, 'dist', 'help.json');
  const before = statSync(help).mtimeMs; // `npm test` has just built
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'prepare.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toBe('');
  expect(statSync(help).mtimeMs).toBe(before);
});
