// The project's shared/ folder (the seed's documents and peers) sits beside the repository in CI, not in a user's
// clone. A test that needs it asks here, and skips with the reason where it is missing, so `npm test` is green on a
// bare clone and still runs these tests where shared/ exists.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './process.mjs';

export const SHARED_DIR = resolve(ROOT, '..', 'shared');

/** The path of `rel` inside shared/, or a reason to skip when it is not there. */
export function sharedFile(rel: string): { path: string; missing?: string } {
  const path = resolve(SHARED_DIR, rel);
  if (existsSync(path)) return { path };
  return { path, missing: `${path} not found: shared/ sits beside the repository in CI, not in a clone` };
}

/** `rel` inside shared/; skips the calling test, saying why, when it is missing. */
export function needShared(skip: (note?: string) => never, rel: string): string {
  const file = sharedFile(rel);
  if (file.missing !== undefined) skip(file.missing);
  return file.path;
}
