// config set/get/unset on the stored file (mode 0600); secrets masked unless asked.
import { ConfigStore } from '../../config.js';
import { OperationError } from '../../errors.js';
import { isValidSecret } from '../../core/receive/signature.js';
import { mask, type Output } from '../../ui/output.js';
import { findKey, KEYS, readStdin, settingValue, type KeySpec, type SetOptions } from './keys.js';

export async function setSetting(o: SetOptions, out: Output): Promise<void> {
  const value = settingValue(o.spec, o.text ?? (await readStdin()));
  if (o.spec.key === 'webhookSecret' && !isValidSecret(String(value), 'standard')) {
    out.warn('this is not a Standard Webhooks secret (whsec_… base64): it will only verify the legacy X-Etsy-Signature scheme');
  }
  const s = new ConfigStore();
  await s.set({ [o.spec.key]: value });
  const shown = o.spec.secret ? mask(String(value)) : String(value);
  if (out.json) out.data({ key: o.spec.name, stored: true, path: await s.path() });
  else out.success(`stored ${o.spec.name} (${shown}) in ${await s.path()}`);
  if (o.spec.env !== undefined && process.env[o.spec.env]) out.warn(`${o.spec.env} is set in the environment and takes precedence over the stored value`);
}

export interface GetOptions {
  spec: KeySpec | undefined;
  printSecret: boolean;
}

export function parseGetOptions(rawKey: string | undefined, raw: { printSecret?: boolean }): GetOptions {
  return { spec: rawKey === undefined ? undefined : findKey(rawKey), printSecret: raw.printSecret ?? false };
}

export async function getSetting(o: GetOptions, out: Output): Promise<void> {
  const s = new ConfigStore();
  const all = await s.all();
  const show = (spec: KeySpec, v: unknown): string | number =>
    spec.secret && !o.printSecret ? mask(String(v)) : typeof v === 'number' ? v : String(v);
  if (o.spec !== undefined) {
    const spec = o.spec;
    const v = all[spec.key];
    if (v === undefined || v === null || v === '') {
      throw new OperationError(`${spec.name} is not set`, { hint: spec.settable ? `set it with \`etsyhook config set ${spec.name} …\`` : 'run `etsyhook auth login`' });
    }
    if (out.json) out.data({ key: spec.name, value: show(spec, v) });
    else out.line(String(show(spec, v)));
    return;
  }
  const entries: Record<string, string | number> = {};
  for (const spec of KEYS) {
    const v = all[spec.key];
    if (v !== undefined && v !== null && v !== '') entries[spec.name] = show(spec, v);
  }
  if (out.json) {
    out.data(entries);
    return;
  }
  if (Object.keys(entries).length === 0) out.info(`nothing stored yet (${await s.path()})`);
  for (const [k, v] of Object.entries(entries)) out.line(`${k}: ${v}`);
}

export async function unsetSetting(spec: KeySpec, out: Output): Promise<void> {
  const s = new ConfigStore();
  const had = (await s.get(spec.key)) !== undefined;
  await s.delete(spec.key);
  if (out.json) out.data({ key: spec.name, removed: had });
  else out.success(had ? `forgot ${spec.name}` : `${spec.name} was not set`);
}
