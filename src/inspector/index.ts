// The inspector as `inspect` and `dev` start it: the history it reads (opened by the caller, closed with the
// inspector), one HTTP sender for replays, and the server. A reader of the history and an observer of what is
// written to it: it needs no receiver.
import type { History } from '../core/history/history.js';
import { Deliverer } from '../core/delivery/http.js';
import { InspectorServer } from './server.js';

export interface OpenInspectorOptions {
  /** 0 picks a free port. */
  port: number;
  /** Take the next free port when `port` is taken. */
  nextFreePort: boolean;
  /** The events, and where replay attempts are kept (see openHistory); the inspector closes it. */
  history: History;
  secret?: string;
  forwardTo?: string;
  toleranceSeconds?: number;
}

export interface Inspector {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function openInspector(options: OpenInspectorOptions): Promise<Inspector> {
  const source = options.history;
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
      // Replay attempts still unsynced are synced here.
      await source.close();
    },
  };
}
