// Every command's --help, rendered once at build time into dist/help.json: `etsyhook --help` and `etsyhook send
// --help` then print it without loading commander or any command (bin/etsyhook.js reads the file). Rendered by the
// same program the CLI builds, through commander's own help, so the text is the one the slow path would print.
import { writeFileSync } from 'node:fs';
import { CommanderError, type Command } from './commands/shared/commander.js';
import { applyToAll, buildProgram, HELP_WIDTH } from './cli.js';

/** The help of every command path ('' for etsyhook itself, 'events list' …), keyed by the words that name it. */
export async function renderAllHelp(): Promise<Record<string, string>> {
  const texts: Record<string, string> = { '': await helpOf([]) };
  for (const path of commandPaths(await buildProgram())) texts[path.join(' ')] = await helpOf(path);
  return texts;
}

/** Write renderAllHelp() as JSON to `file`. */
export async function writeHelpFile(file: string): Promise<void> {
  writeFileSync(file, `${JSON.stringify(await renderAllHelp())}\n`);
}

function commandPaths(cmd: Command, prefix: readonly string[] = []): string[][] {
  const paths: string[][] = [];
  for (const sub of cmd.commands) {
    const path = [...prefix, sub.name()];
    paths.push(path, ...commandPaths(sub, path));
  }
  return paths;
}

/** What `etsyhook PATH --help` prints on stdout, on a stream of HELP_WIDTH columns. */
async function helpOf(path: readonly string[]): Promise<string> {
  const program = await buildProgram(path);
  let text = '';
  applyToAll(program, (cmd) => cmd.configureOutput({ writeOut: (s) => void (text += s), getOutHelpWidth: () => HELP_WIDTH }));
  try {
    await program.parseAsync([...path, '--help'], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError && err.code === 'commander.helpDisplayed')) throw err;
  }
  return text;
}
