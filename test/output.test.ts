// The colour and stream policy: data on stdout, humans on stderr; colour only on a terminal, NO_COLOR and
// FORCE_COLOR honoured.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect } from 'vitest';
import { loadColours, Output } from '../src/ui/output.js';
import { cleanEnv, it, recorder, runCli, SECRET } from './support/index.js';

const ESC = '\u001b[';
const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR, TERM: process.env.TERM };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function stream(tty: boolean): PassThrough & { isTTY?: boolean; text: () => string } {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; text: () => string };
  if (tty) s.isTTY = true;
  let buf = '';
  s.on('data', (d: Buffer) => (buf += d.toString()));
  s.text = () => buf;
  return s;
}

async function render(tty: boolean): Promise<{ out: string; err: string }> {
  const stdout = stream(tty);
  const stderr = stream(tty);
  await loadColours([stdout, stderr]);
  const o = new Output({ stdout, stderr });
  o.warn('careful');
  o.line(o.cOut.green('a data line'));
  return { out: stdout.text(), err: stderr.text() };
}

describe('Output', () => {
  it('colours only on a terminal, and keeps data on stdout and messages on stderr', async () => {
    delete process.env.NO_COLOR;
    delete process.env.FORCE_COLOR;
    process.env.TERM = 'xterm';
    const piped = await render(false);
    expect(piped.err).toBe('warning: careful\n');
    expect(piped.out).toBe('a data line\n');
    const plain = new Output({ stdout: stream(false), stderr: stream(false) });
    expect(plain.c.bold.red('chained', 'words')).toBe('chained words');
    expect(await Promise.resolve(plain.c)).toBe(plain.c); // not a thenable
    const tty = await render(true);
    expect(tty.err).toContain(ESC);
    expect(tty.out).toContain(ESC);
  });

  it('honours NO_COLOR on a terminal and FORCE_COLOR off one', async () => {
    delete process.env.FORCE_COLOR;
    process.env.TERM = 'xterm';
    process.env.NO_COLOR = '1';
    expect((await render(true)).err).not.toContain(ESC);
    delete process.env.NO_COLOR;
    process.env.FORCE_COLOR = '1';
    expect((await render(false)).err).toContain(ESC);
  });

  it('through the CLI: FORCE_COLOR colours a piped stderr, NO_COLOR keeps it plain', async ({ cleanups, home: h }) => {
    const target = await recorder(cleanups, { body: '{"status":"received"}' });
    const args = ['send', 'order.paid', '--to', target.url, '--secret', SECRET];
    const forced = await runCli(args, { env: cleanEnv(h.dir, { FORCE_COLOR: '1' }) });
    const plain = await runCli(args, { env: cleanEnv(h.dir, { NO_COLOR: '1' }) });
    expect(forced.code).toBe(0);
    expect(plain.code).toBe(0);
    expect(forced.stderr).toContain(ESC);
    expect(plain.stderr).not.toContain(ESC);
    expect(plain.stderr).toMatch(/200/);
  });
});
