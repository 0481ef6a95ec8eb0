// The one place that decides where output goes: data on stdout, humans on stderr, colour and spinners on a TTY only.
import type * as ChalkModule from 'chalk';
import type { ChalkInstance } from 'chalk';

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Spinner {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

function colourLevel(stream: { isTTY?: boolean }): 0 | 1 | 2 | 3 {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return 1;
  if (force === '0' || force === 'false') return 0;
  if ('NO_COLOR' in process.env && process.env.NO_COLOR !== '') return 0;
  if (!stream.isTTY) return 0;
  if (process.env.TERM === 'dumb') return 0;
  return 1;
}

let chalk: typeof ChalkModule | undefined;

/**
 * Load chalk when one of these streams may show colour. A piped or CI run never does, and skips the module: `send`
 * runs hundreds of times in CI, and chalk was a sixth of its start-up. main() calls this once, before any Output.
 */
export async function loadColours(streams: readonly { isTTY?: boolean }[] = [process.stderr, process.stdout]): Promise<void> {
  if (chalk === undefined && streams.some((s) => colourLevel(s) > 0)) chalk = await import('chalk');
}

/**
 * Text unchanged, through any chain of styles (`c.bold.red('x')`): the colours of a stream that shows none. Not a
 * thenable, and no symbols, so it never passes for a promise or a primitive.
 */
const PLAIN: ChalkInstance = new Proxy(((...text: unknown[]) => text.join(' ')) as unknown as ChalkInstance, {
  get: (_target, key) => (key === 'level' ? 0 : typeof key === 'symbol' || key === 'then' ? undefined : PLAIN),
});

function colours(stream: { isTTY?: boolean }): ChalkInstance {
  const level = colourLevel(stream);
  return level === 0 || chalk === undefined ? PLAIN : new chalk.Chalk({ level });
}

/**
 * Lines for a stream (stderr for people, stdout for NDJSON or event lines), written in batches: at most every FLUSH_MS
 * or once FLUSH_BYTES are waiting. Under load a write per line (a syscall each: stdout to a pipe is synchronous)
 * costs the command, and whoever reads the pipe, more than the lines are worth; 20 ms is too short for a person (or a
 * script reading NDJSON) to notice. Call flush() before the command ends.
 */
export class LineWriter {
  private static readonly FLUSH_MS = 20;
  private static readonly FLUSH_BYTES = 64 * 1024;
  /** Lines waiting, encoded as they come (no string of all of them to build, flatten and encode at each flush). */
  private buf = Buffer.allocUnsafe(LineWriter.FLUSH_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  private broken = false;
  constructor(private readonly stream: NodeJS.WritableStream) {
    // `dev --json | head -1`: a closed pipe stops the lines, not the command.
    stream.on('error', () => {
      this.broken = true;
    });
  }
  write(line: string): void {
    if (this.broken) return;
    // A UTF-8 character is at most 3 bytes per UTF-16 unit: room for that is room enough.
    if (this.used + line.length * 3 + 1 > this.buf.length) {
      this.flush();
      if (line.length * 3 + 1 > this.buf.length) {
        this.stream.write(`${line}\n`); // a line longer than a whole batch goes alone
        return;
      }
    }
    this.used += this.buf.write(line, this.used, 'utf8');
    this.buf[this.used++] = 10; // \n
    this.timer ??= setTimeout(() => this.flush(), LineWriter.FLUSH_MS);
  }
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.used === 0) return;
    const b = this.buf.subarray(0, this.used);
    // The stream may hold the bytes until the reader takes them: the next lines go into a new buffer.
    this.buf = Buffer.allocUnsafe(LineWriter.FLUSH_BYTES);
    this.used = 0;
    if (!this.broken) this.stream.write(b);
  }
}

/** Whether this process has put data on stdout: a failure after that adds no JSON error object (one value each). */
let dataWritten = false;
export function wroteData(): boolean {
  return dataWritten;
}

export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly quiet: boolean;
  /** Colours for stderr text (humans); no colour unless stderr is a terminal. */
  readonly c: ChalkInstance;
  /** Colours for stdout text (tables, event lines): none when stdout is piped, whatever stderr is. */
  readonly cOut: ChalkInstance;
  private readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly err: NodeJS.WritableStream & { isTTY?: boolean };

  constructor(options: OutputOptions = {}) {
    this.json = options.json ?? false;
    this.verbose = options.verbose ?? isDebugEnv();
    this.quiet = options.quiet ?? false;
    this.out = options.stdout ?? process.stdout;
    this.err = options.stderr ?? process.stderr;
    this.c = colours(this.err);
    this.cOut = colours(this.out);
  }

  get interactive(): boolean {
    return Boolean(this.err.isTTY) && Boolean(process.stdin.isTTY) && !isCI();
  }

  /** One JSON value on stdout, on one line (NDJSON-friendly). */
  data(value: unknown): void {
    dataWritten = true;
    this.out.write(`${JSON.stringify(value)}\n`);
  }

  /** Many data lines on stdout (a stream of results), written in batches; flush() before the command ends. */
  dataLines(): LineWriter {
    dataWritten = true;
    return new LineWriter(this.out);
  }

  /** Plain data text on stdout (e.g. signature headers, a raw body). False: the reader is behind (see drained()). */
  raw(text: string | Uint8Array): boolean {
    dataWritten = true;
    return this.out.write(text);
  }

  /** Resolves once stdout has taken what was written (after raw() said false). */
  drained(): Promise<void> {
    return new Promise((resolve) => this.out.once('drain', () => resolve()));
  }

  /** A line of data on stdout. */
  line(text: string): void {
    dataWritten = true;
    this.out.write(`${text}\n`);
  }

  /** A message for humans on stderr. */
  info(message: string): void {
    if (!this.quiet) this.err.write(`${message}\n`);
  }

  success(message: string): void {
    if (!this.quiet) this.err.write(`${this.c.green('✔')} ${message}\n`);
  }

  warn(message: string): void {
    this.err.write(`${this.c.yellow('warning:')} ${message}\n`);
  }

  error(message: string): void {
    this.err.write(`${this.c.red('error:')} ${message}\n`);
  }

  debug(message: string): void {
    if (this.verbose) this.err.write(`${this.c.dim(`debug: ${message}`)}\n`);
  }

  /** True when spinner() draws one (a terminal with a width, not quiet, not CI); otherwise progress needs lines. */
  get interactiveSpinner(): boolean {
    // ora redraws forever on a terminal that reports no width (e.g. under `script`): plain lines there too.
    const columns = (this.err as { columns?: number }).columns ?? 0;
    return Boolean(this.err.isTTY) && columns > 0 && !this.quiet && !isCI();
  }

  /** A spinner on a TTY; elsewhere a no-op (final texts still go to stderr). */
  async spinner(text: string): Promise<Spinner> {
    if (!this.interactiveSpinner) {
      return {
        update: () => {},
        succeed: (t) => t && this.success(t),
        fail: (t) => t && this.error(t),
        stop: () => {},
      };
    }
    const { default: ora } = await import('ora');
    // discardStdin off: ora would put stdin in raw mode, where Ctrl-C is a keypress instead of SIGINT.
    const s = ora({ text, stream: this.err, discardStdin: false }).start();
    return {
      update: (t) => {
        s.text = t;
      },
      succeed: (t) => void s.succeed(t),
      fail: (t) => void s.fail(t),
      stop: () => void s.stop(),
    };
  }
}

export function isCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

export function isDebugEnv(): boolean {
  const d = process.env.DEBUG ?? '';
  return d.split(',').some((p) => p.trim() === 'etsyhook' || p.trim() === 'etsyhook:*' || p.trim() === '*');
}

/** Show the first and last few characters of a secret, never the middle. */
export function mask(secret: string | undefined): string {
  if (!secret) return '(none)';
  if (secret.length <= 10) return '•'.repeat(secret.length);
  const prefix = secret.startsWith('whsec_') ? 'whsec_' : '';
  const rest = secret.slice(prefix.length);
  return `${prefix}${rest.slice(0, 4)}…${rest.slice(-4)}`;
}
