// Builds the commander program, registers every command, and is the one place that maps errors to exit codes.
import { Command, CommanderError } from './commands/shared/commander.js';
import { EtsyhookError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, SilentExit, describeSystemError } from './errors.js';
import { trackOrigins } from './commands/shared/flags.js';
import { loadColours, wroteData } from './ui/output.js';
import { networkFailure } from './net-errors.js';
import { version } from './version.js';

type Register = (program: Command) => void;

/**
 * Every command, in --help order, loaded only when needed: `etsyhook send …` reads send's module and no other (CI
 * runs it hundreds of times; loading every command cost more than the request).
 */
const COMMANDS: readonly [string, () => Promise<{ register: Register }>][] = [
  ['dev', () => import('./commands/dev/index.js')],
  ['send', () => import('./commands/send/index.js')],
  ['sign', () => import('./commands/sign/index.js')],
  ['verify', () => import('./commands/verify/index.js')],
  ['events', () => import('./commands/events/index.js')],
  ['replay', () => import('./commands/replay/index.js')],
  ['tail', () => import('./commands/tail/index.js')],
  ['inspect', () => import('./commands/inspect/index.js')],
  ['serve', () => import('./commands/serve/index.js')],
  ['worker', () => import('./commands/worker/index.js')],
  ['auth', () => import('./commands/auth/index.js')],
  ['configs', () => import('./commands/configs/index.js')],
  ['config', () => import('./commands/config/index.js')],
  ['sandbox', () => import('./commands/sandbox/index.js')],
];

/** The command named on the line (the first word that is not a flag; the global flags take no value), if known. */
export function commandNamed(args: readonly string[]): string | undefined {
  const word = args.find((a) => !a.startsWith('-'));
  return COMMANDS.some(([name]) => name === word) ? word : undefined;
}

/** The program with the command `args` name registered, or every command (for --help, `help`, a typo). */
export async function buildProgram(args: readonly string[] = []): Promise<Command> {
  const named = commandNamed(args);
  const wanted = COMMANDS.filter(([name]) => named === undefined || name === named);
  const modules = await Promise.all(wanted.map(([, load]) => load()));
  return programWith(modules.map((m) => m.register));
}

function programWith(registers: readonly Register[]): Command {
  const program = new Command('etsyhook')
    .description(
      'Etsy shop webhooks from the command line: receive and verify them locally (behind an ngrok tunnel), ' +
        'store, forward, replay, sign and send test events, and manage push configurations.',
    )
    .version(version(), '-V, --version', 'print the version')
    .option('--json', 'machine-readable output on stdout (NDJSON for streams); messages stay on stderr')
    .option('-v, --verbose', 'show detail (requests, stack traces); also DEBUG=etsyhook')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText(
      'after',
      `
Examples:
  $ etsyhook dev --no-tunnel                 receive on http://127.0.0.1:5000/webhook
  $ etsyhook send order.paid                 sign and send a test event to it
  $ etsyhook tail                            follow what arrives, from another terminal
  $ etsyhook configs list --json             the shop's push configurations
  $ etsyhook sandbox                         a local Etsy (API, OAuth, orders) for your app

Exit codes: 0 success, 1 the operation failed, 2 usage error.`,
    );

  for (const register of registers) register(program);

  applyToAll(program, (cmd) => {
    trackOrigins(cmd);
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      getOutHelpWidth: () => helpWidth(process.stdout),
      getErrHelpWidth: () => helpWidth(process.stderr),
      // Commander's errors come as several lines ("error: unknown command 'x'\n(Did you mean y?)"): make them one.
      outputError: (s, write) => write(`${oneLine(s)}\n`),
    });
  });
  return program;
}

/**
 * Help is wrapped at 80 columns, or at a narrower terminal's width: the same text on every wide terminal and in
 * every pipe, so it can be rendered once at build time (dist/help.json) and printed without loading commander.
 */
export const HELP_WIDTH = 80;
export function helpWidth(stream: { isTTY?: boolean; columns?: number }): number {
  const columns = stream.isTTY ? (stream.columns ?? 0) : 0;
  return columns > 0 && columns < HELP_WIDTH ? columns : HELP_WIDTH;
}

export function applyToAll(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) applyToAll(sub, fn);
}

function oneLine(s: string): string {
  return s
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ')
    .replace(/\(Did you mean (.+)\?\)/, '(did you mean $1?)');
}

function wantsVerbose(argv: readonly string[]): boolean {
  return argv.includes('--verbose') || argv.includes('-v') || /(^|,)\s*(etsyhook|\*)/.test(process.env.DEBUG ?? '');
}

/**
 * `--json` asked for and nothing on stdout yet: a failure then puts `{"error": {"message", "code"}}` there, so `jq`
 * gets input. A command that already printed its result (`send --json --expect 200` answered 500) adds nothing.
 */
function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json') && !wroteData();
}

function jsonError(argv: readonly string[], message: string, code: string): void {
  if (wantsJson(argv)) process.stdout.write(`${JSON.stringify({ error: { message, code } })}\n`);
}

/** Turn anything thrown into a message on stderr and an exit code. The only place that decides exit codes. */
export function handleError(err: unknown, argv: readonly string[] = process.argv): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT_OK;
    // Commander has already said it on stderr, in one line (outputError above).
    if (err.code !== 'commander.help') {
      const code = err.code.replace(/^commander\./, '').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      jsonError(argv, oneLine(err.message).replace(/^error: /, ''), code);
    }
    return EXIT_USAGE;
  }
  if (err instanceof EtsyhookError) {
    if (err.message !== '') {
      const hint = err.hint ? `; ${err.hint}` : '';
      process.stderr.write(`error: ${err.message}${hint}\n`);
      // A SilentExit's command has printed its own verdict (on stdout too, with --json).
      if (!(err instanceof SilentExit)) jsonError(argv, `${err.message}${hint}`, err.code);
    }
    if (wantsVerbose(argv) && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
    return err.exitCode;
  }
  const system = describeSystemError(err);
  const message = system ?? (err instanceof Error ? err.message : String(err));
  process.stderr.write(`error: ${message}\n`);
  // A network failure by its documented code (unreachable, timeout…), never the system's ECONNREFUSED.
  jsonError(argv, message, networkFailure(err)?.code ?? (err as NodeJS.ErrnoException | undefined)?.code ?? 'failed');
  if (wantsVerbose(argv) && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  else if (!system) process.stderr.write('run again with --verbose for details\n');
  return EXIT_FAILURE;
}

/** `help WORDS`: each word must name a command (else the general help, exit 0, would hide the typo): exit 2, did you mean. */
async function checkHelpPath(program: Command, words: readonly string[]): Promise<void> {
  let cmd = program;
  for (const word of words) {
    if (word.startsWith('-')) return;
    const next = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (next === undefined) {
      const { UsageError } = await import('./errors.js');
      const { closeMatches } = await import('./words.js');
      const near = closeMatches(word, cmd.commands.map((c) => c.name()).filter((n) => n !== 'help'), 1);
      const parent = cmd === program ? 'etsyhook' : `etsyhook ${cmd.name()}`;
      throw new UsageError(`unknown command '${word}'${near.length > 0 ? ` (did you mean ${near[0]}?)` : ''}`, `\`${parent} --help\` lists the commands`);
    }
    cmd = next;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = argv.slice(2);
  // The cheapest path: `etsyhook --version` loads nothing else.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  try {
    // `etsyhook help events list` is `etsyhook events list --help` (commander's own help command takes one level).
    const rest = args[0] === 'help' && args.length > 1 ? [...args.slice(1), '--help'] : args;
    const [program] = await Promise.all([buildProgram(rest), loadColours()]);
    if (rest !== args) await checkHelpPath(program, args.slice(1));
    await program.parseAsync(rest, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    return handleError(err, argv);
  }
}
