// commander, loaded as the CommonJS package it is. Through its ES-module wrapper Node first scans every file for its
// exports, a quarter more start-up for each command; required, it loads as itself. Types come from the package.
import { createRequire } from 'node:module';
import type * as Commander from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Command, CommanderError, Option } = commander;
export type Command = Commander.Command;
export type CommanderError = Commander.CommanderError;
export type Option = Commander.Option;
