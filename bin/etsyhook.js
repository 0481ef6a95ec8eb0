#!/usr/bin/env node
// Starts the built CLI. `--version` loads only the version module, so it costs about what `node -e 0` does.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { version } = await import('../dist/version.js');
  process.stdout.write(`${version()}\n`);
} else {
  // A reader that stops early (`etsyhook … | head`) closes the pipe: that is not an error, so stop quietly.
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw err;
  });
  const { main } = await import('../dist/cli.js');
  process.exitCode = await main(process.argv);
}
