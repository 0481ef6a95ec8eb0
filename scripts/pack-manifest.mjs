// `npm pack` and `npm publish`: the package a user installs is built, and its package.json carries no `prepare`
// (the build a clone needs, which an installed tarball must not run: npm warns about it, and there is no source).
//   prepack: a clean build of dist/, then package.json saved aside and rewritten without `prepare`;
//   postpack: the saved package.json put back.
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

const manifest = 'package.json';
const saved = 'package.json.prepack';

// A pack that died between the two steps left the saved copy: put it back before anything else.
if (existsSync(saved)) renameSync(saved, manifest);

if (process.argv[2] === 'prepack') {
  rmSync('dist', { recursive: true, force: true });
  execSync('npm run build', { stdio: 'inherit' });
  copyFileSync(manifest, saved);
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  delete pkg.scripts.prepare;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (process.argv[2] !== 'postpack') {
  throw new Error('usage: node scripts/pack-manifest.mjs prepack|postpack');
}
