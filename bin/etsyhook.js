#!/usr/bin/env node
// Starts the built CLI. CommonJS (bin/package.json says so; the name stays, as npx's cache of a local install links
// it), so the quick answers load nothing but this file and a JSON one, and cost about what `node -e 0` does:
// `--version`, and `--help` (every command's, rendered at build time into dist/help.json).
'use strict';

const args = process.argv.slice(2);
// A reader that stops early (`etsyhook … | head`) closes the pipe: that is not an error, so stop quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  throw err;
});

const quick = quickAnswer(args);
if (quick !== undefined) {
  process.stdout.write(quick);
} else {
  import('../dist/cli.js').then(
    async ({ main }) => {
      process.exitCode = await main(process.argv);
    },
    (err) => {
      process.stderr.write(`error: cannot load etsyhook (${err.message}); run \`npm run build\`\n`);
      process.exitCode = 1;
    },
  );
}

/** The text for `--version`, or for a help request dist/help.json holds; undefined for anything else. */
function quickAnswer(words) {
  if (words.length === 1 && (words[0] === '--version' || words[0] === '-V')) return `${require('../package.json').version}\n`;
  const key = helpKey(words);
  // A terminal narrower than the text's 80 columns gets help wrapped to its width, by commander.
  const columns = process.stdout.isTTY ? process.stdout.columns || 0 : 0;
  if (key === undefined || (columns > 0 && columns < 80)) return undefined;
  try {
    const texts = require('../dist/help.json');
    return Object.hasOwn(texts, key) ? texts[key] : undefined;
  } catch {
    return undefined; // no help.json (a build in progress): the CLI renders it
  }
}

/** `--help`, `help`, `help events list`, `events list --help` (or -h): the command path asked about, as one key. */
function helpKey(words) {
  const isWord = (w) => /^[a-z][a-z-]*$/.test(w);
  if (words.length === 1 && (words[0] === '--help' || words[0] === '-h' || words[0] === 'help')) return '';
  if (words[0] === 'help' && words.length > 1 && words.slice(1).every(isWord)) return words.slice(1).join(' ');
  const last = words[words.length - 1];
  if ((last === '--help' || last === '-h') && words.length > 1 && words.slice(0, -1).every(isWord)) return words.slice(0, -1).join(' ');
  return undefined;
}
