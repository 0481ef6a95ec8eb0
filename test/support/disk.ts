// A disk that fills up, for the tests of what happens then (the event store, the sandbox's state): a small tmpfs
// (as root, chmod does not stop writes) and a filler that takes all of it.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scope } from './scope.js';

/** A tmpfs of `size` mounted on a fresh directory, unmounted after the test; or why it cannot be had here. */
export function tmpfs(cleanups: Scope, size: string): { dir: string } | { reason: string } {
  const dir = mkdtempSync(join(tmpdir(), 'etsyhook-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { reason: `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}` };
  }
  cleanups.push(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return { dir };
}

/** Fill the file system holding `dir` until a write fails with ENOSPC; returns the filler's path. */
export function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 0x7a);
  try {
    for (let i = 0; i < 1_000_000; i++) writeSync(fd, block);
    throw new Error('the file system never filled up');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // Also take the last scraps smaller than a block.
  const fd2 = openSync(join(dir, 'filler2'), 'w');
  try {
    for (let i = 0; i < 4096; i++) writeSync(fd2, Buffer.alloc(1));
  } catch {
    /* full */
  } finally {
    closeSync(fd2);
  }
  return path;
}

