// `etsyhook send` loads only what sending needs (CI runs it hundreds of times): not the other commands, not the
// config writer (conf), not undici, not the store or its record codec (zlib), not chalk on a pipe. `--help` loads no command at all: its text
// was rendered at build time, and is the text commander renders. Checked on the modules the built CLI loads.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { recorder } from './support/recorder.js';
import { cleanEnv, it, ROOT, runCli, SECRET, type Home } from './support/index.js';


/**
 * Run the CLI with a loader hook that appends every ES module URL it loads to a file, and a preload that adds, at
 * exit, every CommonJS file in require's cache (hooks do not see require() on Node 20); return them all.
 */
async function loadedBy(home: Home, args: string[]): Promise<{ code: number | null; modules: string[] }> {
  const log = join(home.dir, 'loaded.txt');
  rmSync(log, { force: true });
  const preload = join(home.dir, 'preload.cjs');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(log)}, Object.keys(require.cache).join('\\n') + '\\n'));`);
  const hook = `data:text/javascript,${encodeURIComponent(`
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(\`
      import { appendFileSync } from 'node:fs';
      export async function load(url, ctx, next) { appendFileSync(${JSON.stringify(log)}, url + '\\\\n'); return next(url, ctx); }\`));`)}`;
  const res = await runCli(args, { env: cleanEnv(home.dir, { NODE_OPTIONS: `--require=${preload} --import=${hook}` }) });
  return { code: res.code, modules: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
}

const OTHER_COMMANDS = ['dev', 'events', 'replay', 'tail', 'inspect', 'serve', 'worker', 'auth', 'configs', 'config', 'sign', 'verify'];
/** A module of command `c`: its folder (commands/c/…) or a one-file command (commands/c.js). */
const ofCommand = (m: string, c: string): boolean => m.includes(`/dist/commands/${c}/`) || m.endsWith(`/dist/commands/${c}.js`);
const SEND_ENTRY = 'dist/commands/send/index.js';

describe('what send loads', () => {
  it('with the stored secret: no other command, no conf, no undici, no store', async ({ cleanups, home }) => {
    const target = await recorder(cleanups);
    expect((await runCli(['config', 'set', 'webhook-secret', SECRET], { env: cleanEnv(home.dir) })).code).toBe(0);
    const { code, modules } = await loadedBy(home, ['send', 'order.paid', '--to', target.url]);
    expect(code).toBe(0);
    expect(target.requests).toHaveLength(1);
    expect(existsSync(join(ROOT, SEND_ENTRY)), SEND_ENTRY).toBe(true);
    expect(modules.some((m) => m.endsWith(`/${SEND_ENTRY}`))).toBe(true);
    for (const other of OTHER_COMMANDS) expect(modules.filter((m) => ofCommand(m, other))).toEqual([]);
    expect(modules.filter((m) => /node_modules\/(conf|undici|ajv|ora|chalk|env-paths)\//.test(m) || /\/dist\/core\/log\/(store|scan|query|follower|records)\.js$/.test(m))).toEqual([]);
    // commander as the one file the build bundles, not the package's seven
    expect(modules.filter((m) => m.includes('/node_modules/commander/'))).toEqual([]);
    expect(modules.some((m) => m.endsWith('/dist/vendor/commander.cjs'))).toBe(true);
    // TLS only for an https:// receiver
    expect(modules.filter((m) => m === 'node:https' || m === 'node:tls')).toEqual([]);
  });

  it('--help, help, and a command\'s --help load no module of the CLI, and print every command', async ({ home }) => {
    for (const args of [['--help'], ['help'], ['-h'], ['events', 'list', '--help'], ['help', 'send']]) {
      const { code, modules } = await loadedBy(home, args);
      expect(code, args.join(' ')).toBe(0);
      expect(modules.filter((m) => m.includes('/dist/') || m.includes('/node_modules/')), args.join(' ')).toEqual(['/dist/help.json'].map((f) => expect.stringContaining(f)));
    }
    const res = await runCli(['--help'], { env: cleanEnv(home.dir) });
    for (const name of ['dev', 'send', 'events', 'replay', 'tail', 'inspect', 'serve', 'worker', 'configs', 'config']) expect(res.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });
});

describe('help rendered at build time', () => {
  const texts = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'dist', 'help.json'), 'utf8')) as Record<string, string>;

  it('covers etsyhook and every command and subcommand', () => {
    expect(Object.keys(texts)).toEqual(expect.arrayContaining(['', 'send', 'events', 'events list', 'config set', 'configs delete', 'worker']));
  });

  it('is what commander prints for each (the same program, rendered now), and what the built CLI prints', async ({ home }) => {
    const { main } = await import('../src/cli.js');
    const write = process.stdout.write;
    for (const [key, text] of Object.entries(texts)) {
      const words = key === '' ? [] : key.split(' ');
      let printed = '';
      process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
      let code: number;
      try {
        code = await main(['node', 'etsyhook', ...words, '--help']);
      } finally {
        process.stdout.write = write;
      }
      expect(code, key).toBe(0);
      expect(printed, key).toBe(text);
    }
    const built = await Promise.all(Object.keys(texts).map((key) => runCli([...(key === '' ? [] : key.split(' ')), '--help'], { env: cleanEnv(home.dir) })));
    expect(built.map((r) => r.stdout)).toEqual(Object.values(texts));
  });
});
