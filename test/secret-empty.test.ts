// An empty secret is a usage error naming where it came from, never a silent fall-through to the stored one.
import { describe, expect } from 'vitest';
import { recorder } from './support/recorder.js';
import { cleanEnv, it, runCli, SECRET } from './support/index.js';

const STORED = SECRET;

// Every test's home has a stored secret, which an empty one must not fall through to.
it.beforeEach(async ({ home }) => {
  const stored = await runCli(['config', 'set', 'webhook-secret', STORED], { env: cleanEnv(home.dir) });
  expect(stored.code).toBe(0);
});

const COMMANDS = (url: string): string[][] => [
  ['send', 'order.paid', '--to', url],
  ['sign', '-'],
  ['verify', '-', '--header', 'webhook-id: msg_1', '--header', 'webhook-timestamp: 1', '--header', 'webhook-signature: v1,x'],
  ['dev', '--no-tunnel', '--port', '0'],
];

describe('an empty secret', () => {
  it('--secret "" is a usage error naming --secret, and nothing is sent', async ({ cleanups, home }) => {
    const target = await recorder(cleanups);
    for (const args of COMMANDS(target.url)) {
      const res = await runCli([...args, '--secret', ''], { env: cleanEnv(home.dir), input: '{}' });
      expect(res.stderr.trim(), args.join(' ')).toMatch(/^error: --secret is empty[:;] /);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.code, args.join(' ')).toBe(2);
    }
    expect(target.requests).toHaveLength(0);
  });

  it('ETSY_WEBHOOK_SECRET= (set but empty) is a usage error naming the variable', async ({ cleanups, home }) => {
    const target = await recorder(cleanups);
    for (const args of COMMANDS(target.url)) {
      const res = await runCli(args, { env: cleanEnv(home.dir, { ETSY_WEBHOOK_SECRET: '' }), input: '{}' });
      expect(res.stderr.trim(), args.join(' ')).toMatch(/^error: ETSY_WEBHOOK_SECRET is set but empty[:;] /);
      expect(res.code, args.join(' ')).toBe(2);
    }
    expect(target.requests).toHaveLength(0);
  });

  it('replay --resign --secret "" too', async ({ home }) => {
    const res = await runCli(['replay', '--since', '1h', '--resign', '--secret', ''], { env: cleanEnv(home.dir) });
    expect(res.stderr.trim()).toMatch(/^error: --secret is empty[:;] /);
    expect(res.code).toBe(2);
  });

  it('unset, the stored secret is used as before', async ({ cleanups, home }) => {
    const target = await recorder(cleanups);
    const res = await runCli(['send', 'order.paid', '--to', target.url], { env: cleanEnv(home.dir) });
    expect(res.code).toBe(0);
    expect(target.requests).toHaveLength(1);
  });
});
