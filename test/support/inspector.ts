// `etsyhook inspect` for a test, and an inspector's /api/stream read as server-sent events; both end with the scope.
import { request } from 'node:http';
import { startCli } from './process.mjs';
import type { Scope } from './scope.js';

export interface Inspect {
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  stderr: () => string;
}

/** `etsyhook inspect --inspect-port 0 …args`: its URL read back from the start line; SIGTERM when the scope ends. */
export async function inspect(scope: Scope, env: NodeJS.ProcessEnv, args: string[] = []): Promise<Inspect> {
  const proc = await startCli(['inspect', '--inspect-port', '0', ...args], { env, ready: /Inspector: http:\/\/127\.0\.0\.1:\d+\// });
  scope.push(() => proc.stop('SIGTERM'));
  const m = /Inspector: (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(proc.stderr())!;
  return { url: m[1]!, port: Number(m[2]), stderr: proc.stderr };
}

export interface StreamedEvent {
  event: string;
  data: Record<string, any>;
}

/** Server-sent events from `url`, parsed as they come; `contentType` is the answer's, once it has begun. */
export function eventStream(scope: Scope, url: string): { events: StreamedEvent[]; contentType: () => string | undefined } {
  const events: StreamedEvent[] = [];
  let contentType: string | undefined;
  let text = '';
  const req = request(url, (res) => {
    contentType = res.headers['content-type'];
    res.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      let i: number;
      while ((i = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, i);
        text = text.slice(i + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) as Record<string, any> });
      }
    });
  });
  req.end();
  scope.push(() => req.destroy());
  return { events, contentType: () => contentType };
}
