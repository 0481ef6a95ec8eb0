// The shared option parsers (src/commands/flags.ts), in-process: each value users type, and each mistake, which must
// be a UsageError (exit 2) naming the flag, or the environment variable the value came from.
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_USAGE, UsageError } from '../src/errors.js';
import { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_MAX_BODY } from '../src/core/defaults.js';
import {
  durationOption,
  formatDuration,
  formatSize,
  intOption,
  listOption,
  parseDuration,
  parseInteger,
  parseScheme,
  parseSecret,
  parseSince,
  parseSize,
  parseStatuses,
  parseUrl,
  schemeOption,
  secretOption,
  sizeOption,
  statusOption,
  trackOrigins,
  urlOption,
} from '../src/commands/flags.js';

/** The UsageError `fn` throws (failing the test when it throws nothing or something else). */
function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(EXIT_USAGE);
    expect((err as UsageError).message).not.toContain('\n');
    return err as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('parsers', () => {
  it('integers: digits within the range', () => {
    expect(parseInteger('42', '--limit', { min: 1 })).toBe(42);
    expect(parseInteger(' 0 ', '--port', { min: 0, max: 65535 })).toBe(0);
    expect(usageError(() => parseInteger('0', '--limit', { min: 1 })).message).toBe("--limit must be a whole number of at least 1, got '0'");
    expect(usageError(() => parseInteger('70000', '--port', { min: 0, max: 65535 })).message).toBe("--port must be a whole number from 0 to 65535, got '70000'");
    for (const bad of ['1.5', '-1', 'ten', '', '1e3', '99999999999999999999']) usageError(() => parseInteger(bad, '--n'));
  });

  it('durations: ms, s, m, h, d, w; a bare number is seconds', () => {
    expect(parseDuration('500ms', '--timeout')).toBe(500);
    expect(parseDuration('30s', '--timeout')).toBe(30_000);
    expect(parseDuration('1.5m', '--timeout')).toBe(90_000);
    expect(parseDuration('2H', '--timeout')).toBe(7_200_000);
    expect(parseDuration('10', '--timeout')).toBe(10_000);
    expect(usageError(() => parseDuration('soon', '--timeout')).message).toBe("--timeout must be a duration such as 500ms, 30s or 5m, got 'soon'");
    expect(usageError(() => parseDuration('0s', '--timeout', { min: 1 })).message).toBe("--timeout must be more than zero, got '0s'");
    expect(usageError(() => parseDuration('100ms', '--x', { min: 1000 })).message).toBe("--x must be at least 1s, got '100ms'");
  });

  it('since: a duration back from now, or a date', () => {
    const now = Date.parse('2026-02-01T12:00:00Z');
    expect(parseSince('2h', '--since', now)).toBe(now - 7_200_000);
    expect(parseSince('2026-01-31T00:00:00Z', '--since', now)).toBe(Date.parse('2026-01-31T00:00:00Z'));
    expect(usageError(() => parseSince('yesterday', '--older-than', now)).message).toMatch(/^--older-than must be a duration such as 30m/);
    // A day that does not exist is refused, not rolled over into the next month; a leap day that exists is taken.
    for (const impossible of ['2026-02-30', '2025-02-29', '2026-04-31', '2026-02-30T10:00:00Z', '2026-00-10']) {
      expect(usageError(() => parseSince(impossible, '--since', now)).message).toBe(
        `--since must be a duration such as 30m, 2h or 7d, or a date that exists such as 2026-01-31, got '${impossible}'`,
      );
    }
    expect(parseSince('2024-02-29', '--since', now)).toBe(Date.parse('2024-02-29'));
    expect(parseSince('2026-02-28T23:30:00+01:00', '--since', now)).toBe(Date.parse('2026-02-28T22:30:00Z'));
  });

  it('sizes: bytes, k/m/g as powers of 1024', () => {
    expect(parseSize('1mb', '--max-body')).toBe(1024 * 1024);
    expect(parseSize('256KiB', '--max-body')).toBe(256 * 1024);
    expect(parseSize('100', '--max-body')).toBe(100);
    expect(usageError(() => parseSize('0', '--max-body')).message).toBe("--max-body must be at least 1 byte, got '0'");
    expect(usageError(() => parseSize('big', '--max-body')).message).toMatch(/^--max-body must be a size such as 512kb/);
  });

  it('URLs: absolute, with an allowed protocol', () => {
    expect(parseUrl('http://127.0.0.1:3000/hooks', '--to').href).toBe('http://127.0.0.1:3000/hooks');
    expect(usageError(() => parseUrl('example.com/hook', '--to')).message).toMatch(/^--to (is not a valid URL|must be an http or https URL)/);
    expect(usageError(() => parseUrl('ftp://x/', '--to')).message).toBe("--to must be an http or https URL, got 'ftp://x/'");
    expect(usageError(() => parseUrl('http://x/', '--url', ['https:'])).message).toBe("--url must be an https URL, got 'http://x/'");
  });

  it('schemes and statuses, any case', () => {
    expect(parseScheme('LEGACY')).toBe('legacy');
    expect(usageError(() => parseScheme('hmac')).message).toBe("--scheme must be one of standard, legacy, got 'hmac'");
    expect(parseStatuses(['failed,DEAD', 'accepted'])).toEqual(['failed', 'dead', 'accepted']);
    expect(usageError(() => parseStatuses('done')).message).toMatch(/^--status must be one of accepted, rejected/);
  });

  it('secrets: anything but empty, naming where the empty one came from', () => {
    expect(parseSecret('whsec_abc', '--secret')).toBe('whsec_abc');
    expect(usageError(() => parseSecret('', '--secret')).message).toMatch(/^--secret is empty/);
    expect(usageError(() => parseSecret('  ', 'ETSY_WEBHOOK_SECRET')).message).toMatch(/^ETSY_WEBHOOK_SECRET is set but empty/);
  });

  it('defaults are shown from the core constants', () => {
    expect(formatDuration(DEFAULT_DELIVERY_TIMEOUT_MS)).toBe('30s');
    expect(formatDuration(5 * 60_000)).toBe('5m');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatSize(DEFAULT_MAX_BODY)).toBe('1mb');
    expect(formatSize(256 * 1024)).toBe('256kb');
  });
});

describe('options on a commander program', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  function program(): Command {
    const cmd = new Command('t')
      .exitOverride()
      .configureOutput({ writeErr: () => {}, writeOut: () => {} })
      .addOption(intOption('--limit <n>', 'n', { min: 1 }).default(50))
      .addOption(durationOption('--timeout <d>', 'd', { min: 1 }).default(DEFAULT_DELIVERY_TIMEOUT_MS, formatDuration(DEFAULT_DELIVERY_TIMEOUT_MS)))
      .addOption(sizeOption('--max-body <size>', 's'))
      .addOption(urlOption('--api-base <url>', 'u').env('TEST_API_BASE'))
      .addOption(schemeOption('--scheme <scheme>', 's'))
      .addOption(listOption('--type <types>', 't'))
      .addOption(statusOption('--status <s>', 's'))
      .addOption(secretOption('--secret <secret>', 's', 'TEST_SECRET'))
      .action(() => {});
    trackOrigins(cmd);
    return cmd;
  }

  it('turn flags into typed values, with typed defaults', () => {
    delete process.env.TEST_SECRET;
    delete process.env.TEST_API_BASE;
    const cmd = program().parse(['--timeout', '2s', '--max-body', '2kb', '--type', 'order.*,listing.created', '--type', 'shop.updated', '--status', 'failed', '--status', 'dead', '--scheme', 'Legacy'], { from: 'user' });
    expect(cmd.opts()).toEqual({
      limit: 50,
      timeout: 2000,
      maxBody: 2048,
      type: ['order.*', 'listing.created', 'shop.updated'],
      status: ['failed', 'dead'],
      scheme: 'legacy',
    });
    expect(program().helpInformation()).toMatch(/--timeout <d>\s+d \(default: 30s\)/);
    expect(program().helpInformation()).toMatch(/--scheme <scheme>\s+s \(choices: "standard", "legacy"\)/);
  });

  it('a bad value throws the UsageError naming the flag, before any action', () => {
    expect(usageError(() => program().parse(['--limit', 'lots'], { from: 'user' })).message).toBe("--limit must be a whole number of at least 1, got 'lots'");
  });

  it('a bad value from the environment names the variable; a flag still wins over it', () => {
    process.env.TEST_API_BASE = 'localhost:1234';
    expect(usageError(() => program().parse([], { from: 'user' })).message).toBe("TEST_API_BASE must be an http or https URL, got 'localhost:1234'");
    process.env.TEST_SECRET = '';
    delete process.env.TEST_API_BASE;
    expect(usageError(() => program().parse([], { from: 'user' })).message).toMatch(/^TEST_SECRET is set but empty/);
    const ok = program().parse(['--secret', 'given'], { from: 'user' });
    expect(ok.opts().secret).toBe('given');
    expect(ok.getOptionValueSource('secret')).toBe('cli');
    expect(usageError(() => program().parse(['--secret', ''], { from: 'user' })).message).toMatch(/^--secret is empty/);
  });
});
