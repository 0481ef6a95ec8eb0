// The inspector's flags and replay options, parsed in-process (pure functions: no server, no browser).
import { describe, expect, it } from 'vitest';
import { parseInspectOptions } from '../src/commands/inspect.js';
import { parseDevOptions } from '../src/commands/dev-options.js';
import { parseReplayInput } from '../src/inspector/server.js';

describe('inspect and dev: --inspect-port, --no-inspect, --queue', () => {
  it('defaults to 4040 (moving to the next free port), takes 0 for any free port, and names a bad value', () => {
    expect(parseInspectOptions({}, {})).toEqual({ port: 4040, nextFreePort: true, secret: undefined });
    expect(parseInspectOptions({ inspectPort: '0', secret: ' whsec_x ' }, {})).toEqual({ port: 0, nextFreePort: true, secret: 'whsec_x' });
    for (const bad of ['-1', '65536', 'http', '40 40', '']) {
      expect(() => parseInspectOptions({ inspectPort: bad }, {}), bad).toThrow(/--inspect-port must be a whole number from 0 to 65535/);
    }
  });

  it('reads a Redis queue from --queue or ETSYHOOK_QUEUE, and names a URL that is not one', () => {
    expect(parseInspectOptions({ queue: 'redis://:pw@127.0.0.1:6380/2' }, {}).queue).toMatchObject({ where: '127.0.0.1:6380/2', tls: false });
    expect(parseInspectOptions({}, { ETSYHOOK_QUEUE: 'rediss://q' }).queue).toMatchObject({ where: 'q:6379', tls: true });
    expect(parseInspectOptions({}, { ETSYHOOK_QUEUE: ' ' }).queue).toBeUndefined();
    expect(() => parseInspectOptions({ queue: 'amqp://q' }, {})).toThrow(/--queue must start with redis:\/\//);
  });

  it('dev serves the inspector on 4040 unless --no-inspect; both together are a usage error', () => {
    const base = { host: '127.0.0.1', port: '5000', path: '/webhook', tunnel: false };
    expect(parseDevOptions({ ...base, inspect: true }).inspectPort).toBe(4040);
    expect(parseDevOptions({ ...base, inspect: true, inspectPort: '4141' }).inspectPort).toBe(4141);
    expect(parseDevOptions({ ...base, inspect: false }).inspectPort).toBeUndefined();
    expect(() => parseDevOptions({ ...base, inspect: false, inspectPort: '4141' })).toThrow(/cannot be combined/);
    expect(() => parseDevOptions({ ...base, inspect: true, inspectPort: 'x' })).toThrow(/--inspect-port/);
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
