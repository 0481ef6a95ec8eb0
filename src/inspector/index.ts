// The inspector as `inspect` and `dev` start it: a source over the stored events, one HTTP sender for replays,
// and the server. A reader of the log and an observer of what is written to it: it needs no receiver.
import { Deliverer } from '../core/delivery/http.js';
import { EventStore, logPath } from '../core/log/store.js';
import { InspectorServer } from './server.js';
import { FileSource, type AttemptWriter, type InspectorSource } from './source.js';

export interface OpenInspectorOptions {
  /** 0 picks a free port. */
  port: number;
  /** Take the next free port when `port` is taken. */
  nextFreePort: boolean;
  /** The store directory (ETSYHOOK_HOME/events). */
  dir: string;
  secret?: string;
  forwardTo?: string;
  toleranceSeconds?: number;
  /** Where replay attempts go; by default the store, opened on the first replay. */
  attempts?: AttemptWriter;
  /** Another reader (the shared queue) instead of the file log. */
  source?: InspectorSource;
  onBadLine?: (offset: number, length: number) => void;
}

export interface Inspector {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function openInspector(options: OpenInspectorOptions): Promise<Inspector> {
  let store: Promise<EventStore> | undefined;
  // Lazily synced, as `etsyhook replay` writes its attempts.
  const attempts = options.attempts ?? { attempt: async (rec) => (await (store ??= EventStore.open(options.dir))).append(rec, { durable: false }) };
  const source = options.source ?? new FileSource(logPath(options.dir), async () => attempts, options.dir, options.onBadLine);
  const sender = new Deliverer({ connections: 4 });
  let server: InspectorServer;
  try {
    server = await InspectorServer.start({
      source,
      sender,
      port: options.port,
      nextFreePort: options.nextFreePort,
      ...(options.secret === undefined ? {} : { secret: options.secret }),
      ...(options.forwardTo === undefined ? {} : { forwardTo: options.forwardTo }),
      ...(options.toleranceSeconds === undefined ? {} : { toleranceSeconds: options.toleranceSeconds }),
    });
  } catch (err) {
    await sender.close();
    await source.close();
    throw err;
  }
  // Read the newest page once now: the first page view then finds the code warm and the log in the page cache.
  source.list({}, 100).catch(() => {});
  return {
    url: server.url,
    port: server.port,
    close: async () => {
      await server.close();
      await sender.close();
      await source.close();
      // Replay attempts still unsynced are synced here.
      if (store !== undefined) await (await store).close();
    },
  };
}
