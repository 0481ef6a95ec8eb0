// The running half of `etsyhook dev`: the secret (made and stored when there is none), the runtime (pipeline/dev.ts)
// with the terminal's lines, the banner, and the stop: Ctrl-C exits 130, SIGTERM 0, a dead tunnel 1.
import { ConfigStore } from '../../config.js';
import { generateSecret, isValidSecret } from '../../core/receive/signature.js';
import { UsageError } from '../../errors.js';
import { startDev } from '../../pipeline/dev.js';
import { liveLines } from '../../ui/live-lines.js';
import type { Output } from '../../ui/output.js';
import { lifecycle } from '../shared/lifecycle.js';
import { webhookSecret } from '../shared/secret.js';
import { printBanner, printStopped } from './banner.js';
import type { DevOptions } from './options.js';

export interface DevSecret {
  value: string;
  source: 'flag' | 'env' | 'config';
  /** Made up now (none was given or stored): real Etsy deliveries will not verify against it. */
  created: boolean;
}

/** --secret > ETSY_WEBHOOK_SECRET > stored > a new one, stored 0600 and shown once, in full. */
export async function devSecret(o: DevOptions, out: Output): Promise<DevSecret> {
  const store = new ConfigStore();
  const found = await webhookSecret(o.secret, process.env, store);
  if (found !== undefined) return { value: found.value, source: found.source, created: false };
  const value = generateSecret();
  await store.set({ webhookSecret: value });
  if (!o.printSecret) {
    // Shown at once, this one time: whatever fails later in start-up, the user has seen the stored secret.
    out.info(`${out.c.yellow('Created a signing secret')} (stored in ${await store.path()}; later runs show it masked):`);
    out.info(`  ${value}`);
  }
  return { value, source: 'config', created: true };
}

export async function runReceiver(o: DevOptions, secret: DevSecret, out: Output): Promise<void> {
  checkSecret(o, secret, out);
  for (const w of o.eventWarnings) out.warn(`--events: ${w}`);
  for (const u of o.unknownEvents) {
    out.warn(`--events: '${u.pattern}' is not a known event type${u.near.length ? ` (did you mean ${u.near.join(', ')}?)` : ''}; see etsyhook events types`);
  }
  const https = o.forwardTo?.protocol === 'https:' || (o.routes ?? []).some((r) => r.target.kind === 'http' && r.target.url.startsWith('https:'));
  if (o.insecure && !https) out.warn('--insecure only matters for an https --forward-to or route');
  const routes = o.routes;
  // Lines of resumed deliveries wait for the banner.
  const lines = liveLines(out, {
    held: true,
    maxAttempts: o.maxAttempts,
    ...(routes ? { maxAttemptsOf: (route: string) => routes.find((r) => r.label === route)?.maxAttempts } : {}),
    ...(o.queue ? { queue: o.queue.url } : {}),
  });
  let fatal: ((err: Error) => void) | undefined;
  const dev = await startDev({ ...o, secret: secret.value }, [lines], out, (err) => fatal?.(err));
  // Ctrl-C, SIGTERM, SIGHUP, or a fatal error (a dead tunnel: exit 1); listening before the Ready line.
  const life = lifecycle();
  let error: Error | undefined;
  fatal = (err) => {
    error = err;
    life.stop();
  };
  printBanner(o, secret, dev, out);
  lines.release();
  const signal = await life.stopped;
  lines.flush();
  if (signal) out.info(out.c.dim(`stopping (${signal}): finishing writes in flight…`));
  const closed = await dev.close();
  if (closed.sinkError) out.warn(`the last delivery attempts may not be on disk: ${closed.sinkError.message}`);
  lines.flush();
  printStopped(dev.pipeline, closed.pendingDeliveries, out);
  if (error) {
    life.dispose();
    throw error;
  }
  life.end();
}

function checkSecret(o: DevOptions, secret: DevSecret, out: Output): void {
  const standardOk = isValidSecret(secret.value, 'standard');
  if (o.sandboxPort !== undefined && !standardOk) {
    throw new UsageError('--sandbox signs with a whsec_ secret, and this one is not', 'start dev with --secret whsec_… (etsyhook dev --print-secret makes one)');
  }
  if (o.scheme === 'standard' && !standardOk) {
    throw new UsageError('--scheme standard needs a Standard Webhooks secret (whsec_ followed by base64)', 'check --secret / ETSY_WEBHOOK_SECRET');
  }
  if (!standardOk && o.scheme === undefined) {
    out.warn('the secret is not a Standard Webhooks secret (whsec_… base64): only legacy X-Etsy-Signature deliveries will verify');
  }
}
