// Types for process.mjs (plain JS so the bench can import it).
import type { ChildProcess } from 'node:child_process';

export declare const ROOT: string;
export declare const BIN: string;
export declare function tempHome(label?: string): { dir: string; cleanup: () => void };
export declare function cleanEnv(home: string, extra?: Record<string, string | undefined>): NodeJS.ProcessEnv;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}
/** `command`: spawn this (an installed copy's bin, `npx etsyhook`) instead of the built CLI through this node. */
export declare function runCli(
  args: string[],
  options?: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number; cwd?: string; command?: string[] },
): Promise<RunResult>;

export interface Proc {
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  stop: (signal?: NodeJS.Signals, graceMs?: number) => Promise<number | null>;
}
export declare function startCli(
  args: string[],
  options?: { env?: NodeJS.ProcessEnv; ready?: RegExp; timeoutMs?: number; nodeArgs?: string[]; keepChars?: number; command?: string[]; cwd?: string },
): Promise<Proc>;

export declare function readyUrl(stderr: string): string | undefined;

export interface LaunchedDev extends Proc {
  url: string;
  origin: string;
  port: number;
}
export declare function launchDev(options: {
  env: NodeJS.ProcessEnv;
  args?: string[];
  secret?: string;
  port?: number;
  nodeArgs?: string[];
  timeoutMs?: number;
  keepChars?: number;
  /** Spawn this (an installed copy's bin, npx …) instead of the built CLI through this node. */
  command?: string[];
  cwd?: string;
}): Promise<LaunchedDev>;
