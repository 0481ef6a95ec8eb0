// Errors that carry an exit code and a hint. Core code throws these; only src/cli.ts turns them into exit codes.

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class EtsyhookError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  /** A stable word for scripts, in the `--json` error object: `usage`, `failed`, `not_logged_in`, `api_error`… */
  readonly code: string;
  constructor(message: string, options: { exitCode?: number; hint?: string; cause?: unknown; code?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
    this.hint = options.hint;
    this.code = options.code ?? (this.exitCode === EXIT_USAGE ? 'usage' : 'failed');
  }
}

/** The user typed something wrong: bad flag value, missing input, conflicting flags. Exit 2. */
export class UsageError extends EtsyhookError {
  constructor(message: string, hint?: string, code = 'usage') {
    super(message, { exitCode: EXIT_USAGE, code, ...(hint === undefined ? {} : { hint }) });
  }
}

/**
 * No Etsy credentials: a missing input (log in, or set the variables), so a usage error (exit 2) wherever it is found,
 * by `configs`, `events show --expand`, `dev --register` or `auth status`.
 */
export class NotLoggedInError extends UsageError {
  constructor(message: string, hint = 'run etsyhook auth login') {
    super(message.startsWith('not logged in') ? message : `not logged in to Etsy: ${message}`, hint, 'not_logged_in');
  }
}

/** The operation was tried and failed (network, invalid signature, unexpected status). Exit 1. */
export class OperationError extends EtsyhookError {
  constructor(message: string, options: { hint?: string; cause?: unknown; code?: string } = {}) {
    super(message, { exitCode: EXIT_FAILURE, ...options });
  }
}

/** A command finished but its verdict is negative (e.g. `verify` on a bad signature); the message was already shown. */
export class SilentExit extends EtsyhookError {
  constructor(exitCode: number) {
    super('', { exitCode });
  }
}

/** The Etsy API answered with an error status. */
export class ApiError extends EtsyhookError {
  readonly status: number;
  constructor(status: number, message: string, hint?: string) {
    super(message, { exitCode: EXIT_FAILURE, code: 'api_error', ...(hint === undefined ? {} : { hint }) });
    this.status = status;
  }
}

/** The store cannot write (disk full, not writable): the receiver answers 503. */
export class StoreUnavailableError extends EtsyhookError {
  constructor(message: string, cause?: unknown) {
    super(message, { exitCode: EXIT_FAILURE, cause });
  }
}

/** Node system errors we explain in one line instead of a stack trace. */
export function describeSystemError(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as NodeJS.ErrnoException).code;
  const path = (err as NodeJS.ErrnoException).path;
  switch (code) {
    case 'ENOENT':
      return `no such file or directory${path ? `: ${path}` : ''}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied${path ? `: ${path}` : ''}`;
    case 'EISDIR':
      return `is a directory${path ? `: ${path}` : ''}`;
    case 'ENOSPC':
      return `no space left on device${path ? `: ${path}` : ''}`;
    default:
      return undefined;
  }
}
