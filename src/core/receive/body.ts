// The body of a small request (the inspector's replay options, the sandbox's API calls), up to a limit. The receiver
// reads webhooks its own way, on its hot path.
import type { IncomingMessage } from 'node:http';

/** The whole body; past `limit` bytes, rejects with `tooLarge()` and drains the rest so a 413 can still be answered. */
export function readBody(req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
