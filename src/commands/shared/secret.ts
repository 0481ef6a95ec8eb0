// The webhook signing secret, found the same way by every command: --secret, else ETSY_WEBHOOK_SECRET, else the stored
// one. Empty is never "not given" (`--secret "$UNSET_VAR"` is a usage error naming where it came from), so no command
// quietly verifies or signs with another secret than the one the user meant.
import { ConfigStore, resolveSetting } from '../../config.js';

export const SECRET_ENV = 'ETSY_WEBHOOK_SECRET';

export interface WebhookSecret {
  value: string;
  source: 'flag' | 'env' | 'config';
  /** Where it came from, for messages: `--secret`, `ETSY_WEBHOOK_SECRET` or `the stored config`. */
  origin: string;
}

/** The secret in use, or undefined when none is set anywhere. */
export async function webhookSecret(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, store = new ConfigStore(env)): Promise<WebhookSecret | undefined> {
  const found = await resolveSetting(flag, SECRET_ENV, 'webhookSecret', store, env);
  if (found === undefined) return undefined;
  const origin = found.source === 'flag' ? '--secret' : found.source === 'env' ? SECRET_ENV : 'the stored config';
  return { ...found, origin };
}
