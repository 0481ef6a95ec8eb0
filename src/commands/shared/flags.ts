// Every flag's type, declared once: commander Options whose argParser runs a pure parser from src/parse.ts with the
// name of where the value came from (the flag, or its environment variable). An action receives typed values; bad
// ones are a UsageError (exit 2) before it runs. Flags that several commands share are declared here once.
import type { EventEmitter } from 'node:events';
import { Option, type Command } from './commander.js';
import { parseChoice, parseDuration, parseInteger, parsePort, parseSecret, parseSince, parseSize, parseUrl, requiredList, type IntRange } from '../../parse.js';
import { UsageError } from '../../errors.js';
import { parseRetrySchedule } from '../../core/delivery/retry.js';
import { EVENT_STATUSES, type EventStatus } from '../../core/events/record.js';
import { SCHEMES, type Scheme } from '../../core/receive/signature.js';

/** A signature scheme, any case. */
export function parseScheme(raw: string, name = '--scheme'): Scheme {
  return parseChoice(raw, name, SCHEMES);
}

export const STATUS_HELP = EVENT_STATUSES.join(', ');

/** Event statuses, comma-separated, any case. */
export function parseStatuses(raw: string | readonly string[], name = '--status'): EventStatus[] {
  const statuses = requiredList(raw, name).map((s) => s.toLowerCase());
  for (const s of statuses) {
    if (!(EVENT_STATUSES as readonly string[]).includes(s)) throw new UsageError(`${name} must be one of ${STATUS_HELP}; got '${s}'`);
  }
  return statuses as EventStatus[];
}

// ---------------------------------------------------------------------------------------------------------------
// Options. Each is a commander Option whose argParser calls a parser with the name of where the value came from.

/** Where each option's value being parsed came from: its long flag, or its environment variable. */
const origins = new WeakMap<Option, string>();

/** An option whose value goes through `parse(raw, where it came from, the previous value)`. */
export function parsedOption<T>(flags: string, description: string, parse: (raw: string, name: string, previous: T | undefined) => T): Option {
  const option = new Option(flags, description);
  option.argParser<T>((raw, previous) => parse(raw, origins.get(option) ?? option.long ?? option.name(), previous));
  return option;
}

/**
 * Make the parsers of `cmd`'s env-backed options name the variable when the value came from it. Commander emits
 * `option:<name>` for a flag and `optionEnv:<name>` for a variable before parsing; listen first to both.
 */
export function trackOrigins(cmd: Command): void {
  // Command is an EventEmitter at run time; its typings only declare on().
  const emitter = cmd as unknown as EventEmitter;
  for (const option of cmd.options) {
    if (option.envVar === undefined) continue;
    const name = option.name();
    emitter.prependListener(`option:${name}`, () => origins.set(option, option.long ?? name));
    emitter.prependListener(`optionEnv:${name}`, () => origins.set(option, option.envVar!));
  }
}

export function intOption(flags: string, description: string, range: IntRange = {}): Option {
  return parsedOption(flags, description, (raw, name) => parseInteger(raw, name, range));
}

export function portOption(flags: string, description: string): Option {
  return parsedOption(flags, description, (raw, name) => parsePort(raw, name));
}

export function durationOption(flags: string, description: string, options: { min?: number } = {}): Option {
  return parsedOption(flags, description, (raw, name) => parseDuration(raw, name, options));
}

export function sinceOption(flags: string, description: string): Option {
  return parsedOption(flags, description, (raw, name) => parseSince(raw, name));
}

export function sizeOption(flags: string, description: string): Option {
  return parsedOption(flags, description, (raw, name) => parseSize(raw, name));
}

export function urlOption(flags: string, description: string, protocols?: readonly string[]): Option {
  return parsedOption(flags, description, (raw, name) => parseUrl(raw, name, protocols));
}

export function schemeOption(flags: string, description: string): Option {
  const option = parsedOption(flags, description, (raw, name) => parseScheme(raw, name));
  // Shown in help as "(choices: …)"; the parser above accepts any case, which commander's own choices() would not.
  option.argChoices = [...SCHEMES];
  return option;
}

/** A repeatable, comma-separated list (`--type order.*,listing.created --type shop.updated`); empty items dropped,
 *  an empty value (`--type ''`) a usage error. */
export function listOption(flags: string, description: string): Option {
  return parsedOption<string[]>(flags, description, (raw, name, previous) => [...(previous ?? []), ...requiredList(raw, name)]);
}

/** `--retry-schedule`: 'etsy', or the delays before each attempt (0,10s,5m). */
export function retryScheduleOption(description: string): Option {
  return parsedOption('--retry-schedule <delays>', description, (raw, name) => {
    try {
      return parseRetrySchedule(raw);
    } catch (err) {
      throw new UsageError(`${name}: ${(err as Error).message}`, "write 'etsy' or delays such as 0,10s,5m");
    }
  });
}

/** A repeatable flag whose values are kept as given, in order (`--route a=b --route c=d`). */
export function repeatOption(flags: string, description: string): Option {
  return parsedOption<string[]>(flags, description, (raw, _name, previous) => [...(previous ?? []), raw]);
}

export function statusOption(flags: string, description: string): Option {
  return parsedOption<EventStatus[]>(flags, description, (raw, name, previous) => [...(previous ?? []), ...parseStatuses(raw, name)]);
}

/** A secret flag: never empty. With `envVar`, the variable is read by commander (and named when it is empty). */
export function secretOption(flags: string, description: string, envVar?: string): Option {
  const option = parsedOption(flags, description, (raw, name) => parseSecret(raw, name));
  return envVar === undefined ? option : option.env(envVar);
}

/** Where an option's value came from, for messages: the flag, the variable, or undefined when not given. */
export function sourceOf(cmd: Command, key: string, option: { flag: string; env?: string }): string | undefined {
  const source = cmd.getOptionValueSource(key);
  if (source === 'cli') return option.flag;
  if (source === 'env') return option.env;
  return undefined;
}
