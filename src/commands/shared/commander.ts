// commander, loaded as the CommonJS package it is, from the one-file bundle the build makes of it
// (dist/vendor/commander.cjs; scripts/after-build.mjs): every command starts by loading it, and one file with no
// package lookup loads in half the time. Through its ES-module wrapper Node would first scan each file for exports.
// Running from the TypeScript sources (tests), there is no bundle: the package itself is loaded.
import { createRequire } from 'node:module';
import type * as Commander from 'commander';

function load(): typeof Commander {
  const require = createRequire(import.meta.url);
  try {
    return require('../../vendor/commander.cjs') as typeof Commander;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    return require('commander') as typeof Commander;
  }
}

export const { Command, CommanderError, Option } = load();
export type Command = Commander.Command;
export type CommanderError = Commander.CommanderError;
export type Option = Commander.Option;
