// The shape of src/, pinned so later work cannot quietly undo it: no import points up the layers (README, Layout),
// no cycle inside src/core, lazy import() only where cli.ts loads a command or around optional heavy features, and
// no file under src/commands over 150 lines. Reads the sources as text: nothing is loaded or run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/index.js';

const SRC = join(ROOT, 'src');

/** Bottom up; a file may import its own layer and the ones below, never one above. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'parse.ts', 'format.ts', 'words.ts', 'home.ts', 'net-errors.ts', 'version.ts', 'core/defaults.ts'],
  ['core/events/'],
  ['core/receive/'],
  ['core/log/'],
  ['core/delivery/'],
  ['core/queue/'],
  ['core/history/'],
  ['etsy/', 'sandbox/', 'inspector/', 'ui/', 'config.ts'],
  ['pipeline/'],
  ['commands/'],
  ['cli.ts', 'help-text.ts'],
];

/** The most `import(` calls src may hold outside cli.ts (tunnel, inspector, Redis, prompts, spinner, conf). */
const MAX_LAZY_IMPORTS = 25;
const MAX_COMMAND_LINES = 150;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((f) => relative(SRC, f));

function layerOf(file: string): number {
  const i = LAYERS.findIndex((names) => names.some((n) => (n.endsWith('/') ? file.startsWith(n) : file === n)));
  if (i < 0) throw new Error(`src/${file} is in no layer: add it to LAYERS in test/architecture.test.ts and to the README's Layout`);
  return i;
}

/** Every module `file` imports from src (static, type-only, re-exports and import() alike), as paths below src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(dirname(join(SRC, file)), s)).replace(/\.js$/, '.ts')).filter((f) => !f.startsWith('..'));
}

describe('the import graph', () => {
  it('every file of src is in a layer, and every import resolves to a file', () => {
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) {
      layerOf(f);
      for (const target of importsOf(f)) expect(files, `src/${f} imports src/${target}`).toContain(target);
    }
  });

  it('no import points up the layers', () => {
    const up = files.flatMap((f) => importsOf(f).filter((t) => layerOf(t) > layerOf(f)).map((t) => `src/${f} → src/${t}`));
    expect(up).toEqual([]);
  });

  it('no cycle inside src/core, type-only imports included', () => {
    const core = files.filter((f) => f.startsWith('core/'));
    const edges = new Map(core.map((f) => [f, importsOf(f).filter((t) => t.startsWith('core/'))]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const t of edges.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of core) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it(`import() outside cli.ts: at most ${MAX_LAZY_IMPORTS} (static imports say the graph)`, () => {
    const lazy = files.filter((f) => f !== 'cli.ts').flatMap((f) => readFileSync(join(SRC, f), 'utf8').split('\n').map((line, i) => [f, i + 1, line] as const)).filter(([, , line]) => line.includes('import('));
    expect(lazy.length, lazy.map(([f, n]) => `src/${f}:${n}`).join('\n')).toBeLessThanOrEqual(MAX_LAZY_IMPORTS);
  });
});

describe('commands', () => {
  it(`no file under src/commands is over ${MAX_COMMAND_LINES} lines`, () => {
    const commands = files.filter((f) => f.startsWith('commands/'));
    expect(commands.length).toBeGreaterThan(10);
    const long = commands.map((f) => [f, readFileSync(join(SRC, f), 'utf8').split('\n').length - 1] as const).filter(([, n]) => n > MAX_COMMAND_LINES);
    expect(long.map(([f, n]) => `src/${f}: ${n} lines`)).toEqual([]);
  });
});
