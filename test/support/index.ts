// The one test harness: the unit suite, the reliability suite and (through process.mjs) the bench use it.
// `test`/`it` here are vitest's with fixtures: `cleanups` (undone after the test, pass or fail), `home` (a fresh
// ETSYHOOK_HOME with a clean environment) and `dev` (starts `etsyhook dev` in that home).
import { test as base } from 'vitest';
import { startDev, newHome, type Dev, type Home } from './dev.js';
import { drain, type Cleanup } from './scope.js';

export * from './process.mjs';
export * from './sign.js';
export * from './http.js';
export * from './recorder.js';
export * from './store.js';
export * from './dev.js';
export * from './scope.js';
export * from './figures.js';

export interface Fixtures {
  cleanups: Cleanup[];
  home: Home;
  /** startDev in the test's home unless `options.home` says otherwise. */
  dev: (args?: string[], options?: Parameters<typeof startDev>[2]) => Promise<Dev>;
}

export const test = base.extend<Fixtures>({
  // eslint-disable-next-line no-empty-pattern
  cleanups: async ({}, use) => {
    const list: Cleanup[] = [];
    await use(list);
    await drain(list);
  },
  home: async ({ cleanups }, use) => {
    await use(newHome(cleanups));
  },
  dev: async ({ cleanups, home }, use) => {
    await use((args = [], options = {}) => startDev(cleanups, args, { home, ...options }));
  },
});
export const it = test;
export * from './flags.js';
export * from './sandbox.js';
