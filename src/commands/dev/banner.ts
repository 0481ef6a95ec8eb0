// dev's banner (where it listens, the public URL, routes, the secret masked) and its last line when it stops.
import { DEFAULT_RETRY_SCHEDULE_MS, describeSchedule } from '../../core/delivery/retry.js';
import { duration, plural } from '../../format.js';
import type { RunningDev } from '../../pipeline/dev.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { mask, type Output } from '../../ui/output.js';
import { routeTable } from '../../ui/route-table.js';
import { listeningNote, portMovedNote } from '../../ui/words.js';
import type { DevOptions } from './options.js';
import type { DevSecret } from './run.js';

export function printBanner(o: DevOptions, secret: DevSecret, dev: RunningDev, out: Output): void {
  const { pipeline, publicUrl, inspector, store: dir, pending } = dev;
  const inspectUrl = inspector && inspector.url + out.c.dim(portMovedNote(o.inspectPort!, inspector.port));
  const c = out.c;
  const from = secret.source === 'flag' ? '--secret' : secret.source === 'env' ? 'ETSY_WEBHOOK_SECRET' : 'the stored config';
  const row = (k: string, v: string): void => out.info(`  ${c.bold(k.padEnd(9))}${v}`);
  out.info(c.bold('etsyhook dev: receiving Etsy webhooks'));
  row('Local', pipeline.url + c.dim(listeningNote(o.host)));
  row('Inspect', inspectUrl ?? c.dim(o.inspectPort === undefined ? 'off (--no-inspect)' : 'off'));
  row('Public', publicUrl ? `${c.cyan(publicUrl)}  ${c.dim("← paste into Etsy's webhook portal")}` : c.dim('none (--no-tunnel)'));
  row('Events', o.events.length ? o.events.join(', ') : 'all');
  if (o.routes) {
    row('Routes', '');
    for (const l of routeTable(o.routes, c, { timeoutMs: o.forwardTimeoutMs, maxAttempts: o.maxAttempts })) out.info(`    ${l}`);
  } else {
    row('Forward', o.forwardTo ? `${o.forwardTo.href}  ${c.dim(`(timeout ${duration(o.forwardTimeoutMs)}, ${plural(o.maxAttempts, 'attempt')}: ${describeSchedule((o.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_MS).slice(0, o.maxAttempts))})`)}` : c.dim('none (--forward-to URL or --route GLOB=TARGET)'));
  }
  row('Secret', `${mask(secret.value)}  ${c.dim(secret.created ? '(new, shown in full above; --print-secret shows it again)' : `(from ${from}; --print-secret shows it)`)}`);
  if (secret.created) {
    out.info(c.yellow("  Real Etsy deliveries are signed with the secret shown in Etsy's webhook portal: start with"));
    out.info(c.yellow("  --secret 'whsec_…' or store it once with `etsyhook config set webhook-secret 'whsec_…'`."));
  }
  row('Store', dir);
  if (pipeline.resumed > 0) out.info(`  resuming ${pipeline.resumed} pending deliver${pipeline.resumed === 1 ? 'y' : 'ies'} from the last run`);
  else if (!o.forwardTo && !o.routes && pending > 0) {
    out.info(c.dim(`  ${pending} deliver${pending === 1 ? 'y is' : 'ies are'} pending from the last run; start with --forward-to to resume them`));
  }
  if (dev.sandboxEnv) {
    const env = dev.sandboxEnv;
    row('Sandbox', `${env.ETSY_API_BASE}  ${c.dim('(a local Etsy delivering here; for your app:)')}`);
    // dev's own secret stays masked, as everywhere in dev's output; the rest are the sandbox's throwaway credentials.
    for (const [k, v] of Object.entries(env)) out.info(`    ${k}=${k === 'ETSY_WEBHOOK_SECRET' ? `${mask(v)}  ${c.dim('(etsyhook dev --print-secret)')}` : v}`);
  }
  out.info(`Ready: listening on ${pipeline.url}. Press Ctrl-C to stop.`);
}

export function printStopped(pipeline: Pipeline, pendingDeliveries: number, out: Output): void {
  const n = pipeline.counts;
  out.info(
    `stopped: ${n.received} received (${n.accepted} accepted, ${n.rejected} rejected, ${n.duplicate} duplicate, ${n.ignored} ignored${n.unstored ? `, ${n.unstored} not stored` : ''})` +
      (pendingDeliveries > 0 ? `; ${pendingDeliveries} deliveries pending, resumed at the next start` : ''),
  );
}
