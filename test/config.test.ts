import { statSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { ConfigStore, configFile, paths, platformPaths, resolveSetting, storeDir } from '../src/config.js';
import { parseDuration, parseInteger, parseSince, parseUrl } from '../src/parse.js';
import { UsageError } from '../src/errors.js';
import { it } from './support/index.js';

describe('config', () => {
  it('keeps everything under ETSYHOOK_HOME, in a file only its owner can read', async ({ home: h }) => {
    const env = { ETSYHOOK_HOME: h.dir };
    const config = new ConfigStore(env);
    await config.set({ webhookSecret: 'whsec_abc', shopId: 42 });
    expect(configFile(env)).toBe(`${h.dir}/config.json`);
    expect(storeDir(env)).toBe(`${h.dir}/events`);
    expect(statSync(configFile(env)).mode & 0o777).toBe(0o600);
    expect(await new ConfigStore(env).get('shopId')).toBe(42);
  });

  it('without ETSYHOOK_HOME, keeps config and events where each platform expects them', () => {
    expect(platformPaths({}, 'linux', '/home/u')).toEqual({ config: '/home/u/.config/etsyhook', data: '/home/u/.local/share/etsyhook' });
    expect(platformPaths({ XDG_CONFIG_HOME: '/c', XDG_DATA_HOME: '/d' }, 'linux', '/home/u')).toEqual({ config: '/c/etsyhook', data: '/d/etsyhook' });
    expect(platformPaths({}, 'darwin', '/Users/u')).toEqual({
      config: '/Users/u/Library/Preferences/etsyhook',
      data: '/Users/u/Library/Application Support/etsyhook',
    });
    const win = platformPaths({ APPDATA: 'R', LOCALAPPDATA: 'L' }, 'win32', 'H');
    expect([win.config, win.data].map((p) => p.replaceAll('\\', '/'))).toEqual(['R/etsyhook/Config', 'L/etsyhook/Data']);
    expect(paths({ ETSYHOOK_HOME: '/somewhere' })).toEqual({ config: '/somewhere', data: '/somewhere' });
  });

  it('lets flags beat environment variables beat stored config', async ({ home: h }) => {
    const config = new ConfigStore({ ETSYHOOK_HOME: h.dir });
    await config.set({ webhookSecret: 'stored' });
    const env = { ETSYHOOK_HOME: h.dir, ETSY_WEBHOOK_SECRET: 'from-env' };
    expect(await resolveSetting('flag', 'ETSY_WEBHOOK_SECRET', 'webhookSecret', config, env)).toEqual({ value: 'flag', source: 'flag' });
    expect(await resolveSetting(undefined, 'ETSY_WEBHOOK_SECRET', 'webhookSecret', config, env)).toEqual({ value: 'from-env', source: 'env' });
    expect(await resolveSetting(undefined, 'ETSY_WEBHOOK_SECRET', 'webhookSecret', config, { ETSYHOOK_HOME: h.dir })).toEqual({ value: 'stored', source: 'config' });
  });

  it('parses durations, dates, numbers and URLs (src/parse.ts), naming the flag when they are wrong', () => {
    const now = Date.UTC(2026, 0, 10);
    expect(parseSince('2h', '--since', now)).toBe(now - 7_200_000);
    expect(parseSince('2026-01-01', '--since', now)).toBe(Date.UTC(2026, 0, 1));
    expect(() => parseSince('yesterday', '--since')).toThrow(/--since must be a duration/);
    expect(parseDuration('30s', '--timeout')).toBe(30_000);
    expect(parseDuration('5', '--timeout')).toBe(5_000);
    expect(parseDuration('250ms', '--timeout')).toBe(250);
    expect(() => parseInteger('50x', '--port')).toThrow(UsageError);
    expect(() => parseInteger('70000', '--port', { min: 1, max: 65535 })).toThrow(/--port must be a whole number from 1 to 65535/);
    expect(() => parseUrl('localhost:3000', '--to')).toThrow(/--to must be an http or https URL|--to is not a valid URL/);
    expect(parseUrl('http://127.0.0.1:3000/x', '--to').port).toBe('3000');
  });
});
