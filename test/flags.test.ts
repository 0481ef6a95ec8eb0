// The value parsers (src/parse.ts) and the Options built on them (src/commands/flags.ts), in-process: each value users type, and each mistake, which must
// be a UsageError (exit 2) naming the flag, or the environment variable the value came from.
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_USAGE, UsageError } from '../src/errors.js';
import { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_MAX_BODY } from '../src/core/defaults.js';
import { durationOption, intOption, listOption, parseScheme, parseStatuses, schemeOption, secretOption, sizeOption, statusOption, trackOrigins, urlOption } from '../src/commands/shared/flags.js';
import { parseDuration, parseInteger, parseSecret, parseSince, parseSize, parseUrl } from '../src/parse.js';
import { formatDuration, formatSize } from '../src/format.js';
import { expectUsageError } from './support/flags.js';

describe('parsers', () => {
  it('integers: digits within the range', () => {
    expect(parseInteger('42', '--limit', { min: 1 })).toBe(42);
    expect(parseInteger(' 0 ', '--port', { min: 0, max: 65535 })).toBe(0);
    expect(expectUsageError(() => parseInteger('0', '--limit', { min: 1 }))).toBe("--limit must be a whole number of at least 1, got '0'");
    expect(expectUsageError(() => parseInteger('70000', '--port', { min: 0, max: 65535 }))).toBe("--port must be a whole number from 0 to 65535, got '70000'");
    for (const bad of ['1.5', '-1', 'ten', '', '1e3', '99999999999999999999']) expectUsageError(() => parseInteger(bad, '--n'));
  });

  it('durations: ms, s, m, h, d, w; a bare number is seconds', () => {
    expect(parseDuration('500ms', '--timeout')).toBe(500);
    expect(parseDuration('30s', '--timeout')).toBe(30_000);
    expect(parseDuration('1.5m', '--timeout')).toBe(90_000);
    expect(parseDuration('2H', '--timeout')).toBe(7_200_000);
    expect(parseDuration('10', '--timeout')).toBe(10_000);
    expect(expectUsageError(() => parseDuration('soon', '--timeout'))).toBe("--timeout must be a duration such as 500ms, 30s or 5m, got 'soon'");
    expect(expectUsageError(() => parseDuration('0s', '--timeout', { min: 1 }))).toBe("--timeout must be more than zero, got '0s'");
    expect(expectUsageError(() => parseDuration('100ms', '--x', { min: 1000 }))).toBe("--x must be at least 1s, got '100ms'");
  });

  it('since: a duration back from now, or a date', () => {
    const now = Date.parse('2026-02-01T12:00:00Z');
    expect(parseSince('2h', '--since', now)).toBe(now - 7_200_000);
    expect(parseSince('2026-01-31T00:00:00Z', '--since', now)).toBe(Date.parse('2026-01-31T00:00:00Z'));
    expect(expectUsageError(() => parseSince('yesterday', '--older-than', now))).toMatch(/^--older-than must be a duration such as 30m/);
    // A day that does not exist is refused, not rolled over into the next month; a leap day that exists is taken.
    for (const impossible of ['2026-02-30', '2025-02-29', '2026-04-31', '2026-02-30T10:00:00Z', '2026-00-10']) {
      expect(expectUsageError(() => parseSince(impossible, '--since', now))).toBe(
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
    expect(expectUsageError(() => parseSize('0', '--max-body'))).toBe("--max-body must be at least 1 byte, got '0'");
    expect(expectUsageError(() => parseSize('big', '--max-body'))).toMatch(/^--max-body must be a size such as 512kb/);
  });

  it('URLs: absolute, with an allowed protocol', () => {
    expect(parseUrl('http://127.0.0.1:3000/hooks', '--to').href).toBe('http://127.0.0.1:3000/hooks');
    expect(expectUsageError(() => parseUrl('example.com/hook', '--to'))).toMatch(/^--to (is not a valid URL|must be an http or https URL)/);
    expect(expectUsageError(() => parseUrl('ftp://x/', '--to'))).toBe("--to must be an http or https URL, got 'ftp://x/'");
    expect(expectUsageError(() => parseUrl('http://x/', '--url', ['https:']))).toBe("--url must be an https URL, got 'http://x/'");
  });

  it('schemes and statuses, any case', () => {
    expect(parseScheme('LEGACY')).toBe('legacy');
    expect(expectUsageError(() => parseScheme('hmac'))).toBe("--scheme must be one of standard, legacy, got 'hmac'");
    expect(parseStatuses(['failed,DEAD', 'accepted'])).toEqual(['failed', 'dead', 'accepted']);
    expect(expectUsageError(() => parseStatuses('done'))).toMatch(/^--status must be one of accepted, rejected/);
  });

  it('secrets: anything but empty, naming where the empty one came from', () => {
    expect(parseSecret('whsec_abc', '--secret')).toBe('whsec_abc');
    expect(expectUsageError(() => parseSecret('', '--secret'))).toMatch(/^--secret is empty/);
    expect(expectUsageError(() => parseSecret('  ', 'ETSY_WEBHOOK_SECRET'))).toMatch(/^ETSY_WEBHOOK_SECRET is set but empty/);
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
    expect(expectUsageError(() => program().parse(['--limit', 'lots'], { from: 'user' }))).toBe("--limit must be a whole number of at least 1, got 'lots'");
  });

  it('a bad value from the environment names the variable; a flag still wins over it', () => {
    process.env.TEST_API_BASE = 'localhost:1234';
    expect(expectUsageError(() => program().parse([], { from: 'user' }))).toBe("TEST_API_BASE must be an http or https URL, got 'localhost:1234'");
    process.env.TEST_SECRET = '';
    delete process.env.TEST_API_BASE;
    expect(expectUsageError(() => program().parse([], { from: 'user' }))).toMatch(/^TEST_SECRET is set but empty/);
    const ok = program().parse(['--secret', 'given'], { from: 'user' });
    expect(ok.opts().secret).toBe('given');
    expect(ok.getOptionValueSource('secret')).toBe('cli');
    expect(expectUsageError(() => program().parse(['--secret', ''], { from: 'user' }))).toMatch(/^--secret is empty/);
  });
});
