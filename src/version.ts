import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package version, read from package.json once (no JSON import so start-up stays cheap). */
export function version(): string {
  if (cached === undefined) {
    const raw = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    cached = (JSON.parse(raw) as { version: string }).version;
  }
  return cached;
}

export function userAgent(): string {
  return `etsyhook/${version()} (node ${process.versions.node})`;
}
