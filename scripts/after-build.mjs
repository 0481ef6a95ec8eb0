// The build's steps after tsc:
// - the inspector's static files beside its code;
// - commander bundled into one CommonJS file, dist/vendor/commander.cjs: every command starts by loading it, and one
//   file loads in about half the time of its seven plus the package's exports lookup (bench part g measures send);
// - every command's help rendered once, dist/help.json, which bin/etsyhook.js prints for `--help` without loading
//   the CLI.
import { cpSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

cpSync('src/inspector/assets', 'dist/inspector/assets', { recursive: true });

const require = createRequire(import.meta.url);
const entry = require.resolve('commander');
const { version, license } = JSON.parse(readFileSync(new URL('../node_modules/commander/package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/vendor/commander.cjs',
  banner: { js: `// commander ${version} (${license}, https://github.com/tj/commander.js), its files bundled into one by the build.` },
  logLevel: 'warning',
});

const { writeHelpFile } = await import('../dist/help-text.js');
await writeHelpFile('dist/help.json');
