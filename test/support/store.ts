// Readers of what a home holds: the event log's records (parsed, not reshaped, so a field rename touches the tests
// that name the field and nothing here), `events list --json`, and the config file.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readForward } from '../../src/core/log/store.js';
import type { DeliveryRecord, ReceivedRecord, StoreRecord } from '../../src/core/log/records.js';
import { cleanEnv, runCli } from './process.mjs';

export function storeFile(home: string): string {
  return join(home, 'events', 'events.ndjson');
}

export interface StoreContents {
  records: StoreRecord[];
  received: ReceivedRecord[];
  deliveries: DeliveryRecord[];
  /** Lines that could not be read (a torn last write). */
  bad: number;
}

/** Every readable record in the home's log, in order. */
export function readStore(home: string): StoreContents {
  const records: StoreRecord[] = [];
  let bad = 0;
  readForward(storeFile(home), 0, (r) => records.push(r), { onBadLine: () => bad++ });
  return {
    records,
    received: records.filter((r): r is ReceivedRecord => r.kind === 'received'),
    deliveries: records.filter((r): r is DeliveryRecord => r.kind === 'delivery'),
    bad,
  };
}

/** `events list --json` over the whole store; throws unless it exits 0. */
export async function listEvents(home: string, extra: string[] = []): Promise<Record<string, any>[]> {
  const r = await runCli(['events', 'list', '--json', '--limit', '10000000', ...extra], { env: cleanEnv(home), timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`events list exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, any>[];
}

export function configFileMode(home: string): number {
  return statSync(join(home, 'config.json')).mode & 0o777;
}

export function readConfig(home: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as Record<string, unknown>;
}
