// A command's flags as its action receives them: the argv goes through the real program (every flag's parser from
// src/commands/flags.ts), and the action is replaced by one that hands the typed values back. A bad value throws
// the UsageError the CLI would print.
import { buildProgram } from '../../src/cli.js';
import { expect } from 'vitest';
import { EXIT_USAGE, UsageError } from '../../src/errors.js';

/** The typed flags `etsyhook <argv>` hands its action (argv starts with the command's words: ['dev', '--port', '0']). */
export async function flagsOf<T = Record<string, unknown>>(argv: readonly string[]): Promise<T> {
  const program = await buildProgram(argv);
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  let cmd = program;
  for (const word of argv) {
    const sub = cmd.commands.find((c) => c.name() === word);
    if (sub === undefined) break;
    cmd = sub;
  }
  let flags: T | undefined;
  cmd.action((...args: unknown[]) => {
    flags = (args[args.length - 1] as { opts(): T }).opts();
  });
  await program.parseAsync([...argv], { from: 'user' });
  if (flags === undefined) throw new Error(`no action ran for ${argv.join(' ')}`);
  return flags;
}

/**
 * The message of the UsageError `fn` throws (or, when it returns a promise, rejects with): exit code 2, one line.
 * Fails the test when it gives anything else, or nothing.
 */
export function expectUsageError(fn: () => Promise<unknown>): Promise<string>;
export function expectUsageError(fn: () => unknown): string;
export function expectUsageError(fn: () => unknown): string | Promise<string> {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    return usageMessage(err);
  }
  if (result instanceof Promise) return result.then(() => usageMessage(undefined), usageMessage);
  return usageMessage(undefined);
}

function usageMessage(err: unknown): string {
  expect(err, 'expected a UsageError').toBeInstanceOf(UsageError);
  expect((err as UsageError).exitCode).toBe(EXIT_USAGE);
  expect((err as UsageError).message).not.toContain('\n');
  return (err as UsageError).message;
}
