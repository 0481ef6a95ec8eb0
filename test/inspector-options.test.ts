// The inspector's flags and replay options, parsed in-process (pure functions: no server, no browser).
import { describe, expect, it } from 'vitest';
import { parseInspectOptions } from '../src/commands/inspect/index.js';
import { parseDevOptions, type DevFlags } from '../src/commands/dev/options.js';
import { parseReplayInput } from '../src/inspector/server.js';
import { expectUsageError, flagsOf } from './support/flags.js';

async function inspect(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ReturnType<typeof parseInspectOptions>> {
  return parseInspectOptions(await flagsOf(['inspect', ...args]), env);
}

async function devInspectPort(...args: string[]): Promise<number | undefined> {
  return parseDevOptions(await flagsOf<DevFlags>(['dev', '--no-tunnel', ...args]), {}).inspectPort;
}

describe('inspect and dev: --inspect-port, --no-inspect, --queue', () => {
  it('defaults to 4040 (moving to the next free port), takes 0 for any free port, and names a bad value', async () => {
    expect(await inspect([])).toEqual({ port: 4040, nextFreePort: true, secret: undefined });
    expect(await inspect(['--inspect-port', '0', '--secret', ' whsec_x '])).toEqual({ port: 0, nextFreePort: true, secret: 'whsec_x' });
    for (const bad of ['-1', '65536', 'http', '40 40', '']) {
      expect(await expectUsageError(() => inspect(['--inspect-port', bad])), bad).toMatch(/--inspect-port must be a whole number from 0 to 65535/);
    }
  });

  it('an empty --secret is a usage error, not "use the stored one"', async () => {
    expect(await expectUsageError(() => inspect(['--secret', '']))).toBe('--secret is empty');
  });

  it('reads a Redis queue from --queue or ETSYHOOK_QUEUE, and names a URL that is not one', async () => {
    expect((await inspect(['--queue', 'redis://:pw@127.0.0.1:6380/2'])).queue).toMatchObject({ where: '127.0.0.1:6380/2', tls: false });
    expect((await inspect([], { ETSYHOOK_QUEUE: 'rediss://q' })).queue).toMatchObject({ where: 'q:6379', tls: true });
    expect((await inspect([], { ETSYHOOK_QUEUE: ' ' })).queue).toBeUndefined();
    expect(await expectUsageError(() => inspect(['--queue', 'amqp://q']))).toMatch(/--queue must start with redis:\/\//);
  });

  it('dev serves the inspector on 4040 unless --no-inspect; both together are a usage error', async () => {
    expect(await devInspectPort()).toBe(4040);
    expect(await devInspectPort('--inspect-port', '4141')).toBe(4141);
    expect(await devInspectPort('--no-inspect')).toBeUndefined();
    expect(await expectUsageError(() => devInspectPort('--no-inspect', '--inspect-port', '4141'))).toMatch(/cannot be combined/);
    expect(await expectUsageError(() => devInspectPort('--inspect-port', 'x'))).toMatch(/--inspect-port/);
  });
});

describe('the replay options a page may send', () => {
  it('takes a target, re-signing, a new webhook-id, an edited body and headers', () => {
    expect(parseReplayInput('')).toEqual({ to: undefined, resign: false, newId: false, body: undefined, headers: undefined });
    expect(parseReplayInput('{"to":"http://127.0.0.1:3000/hooks","resign":true,"newId":true,"body":"{}","headers":{"X-Trace":"a"}}')).toEqual({
      to: 'http://127.0.0.1:3000/hooks',
      resign: true,
      newId: true,
      body: '{}',
      headers: { 'x-trace': 'a' },
    });
  });

  it('names what is wrong', () => {
    expect(() => parseReplayInput('nope')).toThrow(/not JSON/);
    expect(() => parseReplayInput('[]')).toThrow(/JSON object/);
    expect(() => parseReplayInput('{"secret":"x"}')).toThrow(/unknown replay option 'secret'/);
    expect(() => parseReplayInput('{"to":"file:///etc/passwd"}')).toThrow(/http\(s\) URL/);
    expect(() => parseReplayInput('{"to":"not a url"}')).toThrow(/http\(s\) URL/);
    expect(() => parseReplayInput('{"resign":"yes"}')).toThrow(/resign must be true or false/);
    expect(() => parseReplayInput('{"body":{"a":1}}')).toThrow(/body must be a string/);
    expect(() => parseReplayInput('{"headers":{"bad name":"x"}}')).toThrow(/not a valid header name/);
    expect(() => parseReplayInput('{"headers":{"x-a":"one\\r\\nx-b: two"}}')).toThrow(/one line of text/);
  });
});
