#!/usr/bin/env node
// Starts the built CLI. Kept tiny so `--version` costs little more than `node -e 0`.
import { main } from '../dist/cli.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
);
