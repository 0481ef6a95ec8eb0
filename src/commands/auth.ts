import type { Command } from 'commander';

// Not written yet: registers nothing, so the command does not appear until it works.
export function register(_program: Command): void {}
