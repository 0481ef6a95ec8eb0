// Figures for bench/RESULTS.md: each reliability test records what it counted, written when RELIABILITY_FIGURES
// names a file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from './process.mjs';

export function recordFigure(test: string, figures: string): void {
  const file = process.env.RELIABILITY_FIGURES;
  if (!file) return;
  const path = file.startsWith('/') ? file : join(ROOT, file);
  mkdirSync(dirname(path), { recursive: true });
  let data: { date?: string; figures: Record<string, string> } = { figures: {} };
  if (existsSync(path)) {
    try {
      data = JSON.parse(readFileSync(path, 'utf8')) as typeof data;
    } catch {
      /* start again */
    }
  }
  data.date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  data.figures[test] = figures;
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
