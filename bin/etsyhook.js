#!/usr/bin/env node
// Starts the built CLI. Kept tiny so `--version` costs little more than `node -e 0`.
import { main } from '../dist/cli.js';

// A reader that stops early (`etsyhook … | head`) closes the pipe: that is not an error, so stop quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
);
