// Bodies as `send --data`, `sign` and `verify` read them: a FILE or stdin, byte for byte; UTF-8 and JSON checks.
import { readFile } from 'node:fs/promises';
import { UsageError, describeSystemError } from '../../errors.js';

/** Where a body comes from: a named file, or stdin (`-`). */
export interface BodySource {
  kind: 'file' | 'stdin';
  /** The file path as the user typed it (for messages and `curl --data-binary @FILE`). */
  path: string | undefined;
  label: string;
}

export function bodySource(arg: string | undefined): BodySource {
  if (arg === undefined || arg === '-') return { kind: 'stdin', path: undefined, label: 'stdin' };
  return { kind: 'file', path: arg, label: arg };
}

/** Read a file or all of stdin as raw bytes; an unreadable file is a usage error naming it. */
export async function readSource(source: BodySource, flag = 'FILE'): Promise<Buffer> {
  if (source.kind === 'stdin') {
    if (process.stdin.isTTY) {
      throw new UsageError(`no input: ${flag} not given and stdin is a terminal`, `pass ${flag}, or pipe the body in (… | etsyhook …)`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(source.path!);
  } catch (err) {
    const why = describeSystemError(err) ?? (err as Error).message;
    throw new UsageError(`cannot read ${source.path}: ${why.replace(/: .*$/, '')}`);
  }
}

/** Bytes that are valid UTF-8 text. */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Whether the bytes are one JSON value (what a webhook body should be). */
export function isJson(bytes: Uint8Array): boolean {
  if (!isUtf8(bytes)) return false;
  try {
    JSON.parse(Buffer.from(bytes).toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
