// `etsyhook send` loads only what sending needs (CI runs it hundreds of times): not the other commands, not the
// config writer (conf), not undici, not the store. Checked on the modules the built CLI actually loads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRecorder, type Recorder } from './support/recorder.js';
import { cleanEnv, runCli, tempHome } from './support/index.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
let home: ReturnType<typeof tempHome>;
let target: Recorder;

beforeEach(async () => {
  home = tempHome();
  target = await startRecorder();
});
afterEach(async () => {
  await target.close();
  home.cleanup();
});

/** Run the CLI with a loader hook that appends every module URL it loads to a file; return the URLs. */
async function loadedBy(args: string[]): Promise<{ code: number | null; modules: string[] }> {
  const log = join(home.dir, 'loaded.txt');
  const hook = `data:text/javascript,${encodeURIComponent(`
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(\`
      import { appendFileSync } from 'node:fs';
      export async function load(url, ctx, next) { appendFileSync(${JSON.stringify(log)}, url + '\\\\n'); return next(url, ctx); }\`));`)}`;
  const res = await runCli(args, { env: cleanEnv(home.dir, { NODE_OPTIONS: `--import=${hook}` }) });
  return { code: res.code, modules: readFileSync(log, 'utf8').trim().split('\n') };
}

const OTHER_COMMANDS = ['dev', 'events', 'replay', 'tail', 'inspect', 'auth', 'configs', 'config', 'sign', 'verify'].map((c) => `/dist/commands/${c}.js`);

describe('what send loads', () => {
  it('with the stored secret: no other command, no conf, no undici, no store', async () => {
    expect((await runCli(['config', 'set', 'webhook-secret', SECRET], { env: cleanEnv(home.dir) })).code).toBe(0);
    const { code, modules } = await loadedBy(['send', 'order.paid', '--to', target.url]);
    expect(code).toBe(0);
    expect(target.requests).toHaveLength(1);
    expect(modules.some((m) => m.endsWith('/dist/commands/send.js'))).toBe(true);
    for (const other of OTHER_COMMANDS) expect(modules.filter((m) => m.endsWith(other))).toEqual([]);
    expect(modules.filter((m) => /node_modules\/(conf|undici|ajv|ora)\//.test(m) || /\/dist\/core\/log\/(store|scan|query|follower)\.js$/.test(m))).toEqual([]);
  });

  it('--help lists every command without loading conf or undici', async () => {
    const { code, modules } = await loadedBy(['--help']);
    expect(code).toBe(0);
    for (const other of OTHER_COMMANDS) expect(modules.some((m) => m.endsWith(other)), other).toBe(true);
    expect(modules.filter((m) => /node_modules\/(conf|undici|ajv|ora)\//.test(m))).toEqual([]);
  });
});
