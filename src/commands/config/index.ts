// `etsyhook config set|get|unset|path`: settings stored in the config file.
import type { Command } from '../shared/commander.js';
import { configFile } from '../../config.js';
import { context, type GlobalOptions } from '../shared/context.js';
import { findKey, KEYS, KEY_LIST, parseSetOptions } from './keys.js';
import { getSetting, parseGetOptions, setSetting, unsetSetting } from './run.js';

export function register(program: Command): void {
  const config = program
    .command('config')
    .description('show and change stored settings (ngrok authtoken, webhook secret …), kept in a file only you can read')
    .addHelpText(
      'after',
      `
Keys: ${KEY_LIST}

Examples:
  $ etsyhook config set ngrok-authtoken 2abc…          let \`etsyhook dev\` open its public tunnel
  $ pbpaste | etsyhook config set webhook-secret -     read the value from stdin (keeps it out of shell history)
  $ etsyhook config get                                all stored settings, secrets masked
  $ etsyhook config get webhook-secret --print-secret  the secret in full, for scripts
  $ etsyhook config unset ngrok-authtoken

Environment variables and flags override stored settings.`,
    );

  config
    .command('set')
    .description('store a setting (use - as the value to read it from stdin)')
    .argument('<key>', `one of: ${KEYS.filter((k) => k.settable).map((k) => k.name).join(', ')}`)
    .argument('<value>', 'the value, or - for stdin')
    .addHelpText('after', '\nExamples:\n  $ etsyhook config set ngrok-authtoken 2abc…\n  $ pbpaste | etsyhook config set webhook-secret -')
    .action(async (rawKey: string, rawValue: string, _o: object, cmd: Command) => {
      await setSetting(parseSetOptions(rawKey, rawValue), context(cmd).out);
    });

  config
    .command('get')
    .description('print a stored setting, or all of them (secrets masked unless --print-secret)')
    .argument('[key]', 'the setting; all when omitted')
    .option('--print-secret', 'print secret values in full')
    .addHelpText('after', '\nExamples:\n  $ etsyhook config get\n  $ etsyhook config get webhook-secret --print-secret')
    .action(async (rawKey: string | undefined, _o: object, cmd: Command) => {
      const { opts, out } = context<{ printSecret?: boolean } & GlobalOptions>(cmd);
      await getSetting(parseGetOptions(rawKey, opts), out);
    });

  config
    .command('unset')
    .description('forget a stored setting')
    .argument('<key>', 'the setting')
    .addHelpText('after', '\nExample:\n  $ etsyhook config unset ngrok-authtoken')
    .action(async (rawKey: string, _o: object, cmd: Command) => {
      await unsetSetting(findKey(rawKey), context(cmd).out);
    });

  config
    .command('path')
    .description('print where the settings file is')
    .addHelpText('after', '\nExample:\n  $ etsyhook config path')
    .action((_o: object, cmd: Command) => {
      const { out } = context(cmd);
      const file = configFile();
      if (out.json) out.data({ path: file });
      else out.line(file);
    });
}
