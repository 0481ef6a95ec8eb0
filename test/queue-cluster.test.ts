// serve, worker, dev --queue and the readers on a real three-node Redis Cluster, pointed at a node that does NOT own
// the {etsyhook} slot: the cluster is found from a plain redis:// URL (or named by redis+cluster://), every command
// goes to the slot's owner, and /ready is a write to that slot.
import { describe, expect } from 'vitest';
import { it, post, send, signed, waitFor } from './support/index.js';
import { recorder } from './support/recorder.js';
import { redisClient, redisCluster, serve, worker } from './support/redis.js';

describe('Redis Cluster', () => {
  it('serve and worker at a node that does not own the slot: 200 once stored, delivered, /ready says ready', async ({ cleanups, home: h }) => {
    const cl = await redisCluster(cleanups);
    const node = await cl.notOwner();
    const s = await serve(cleanups, node, h);
    const ready = await send(`${s.base}/ready`, { method: 'GET' });
    expect(ready.status, ready.text).toBe(200);
    const ev = signed({ type: 'order.paid' });
    const answer = await post(s.url, ev);
    expect(answer.status, answer.text).toBe(200);
    // Stored on the slot's owner, not on the node serve was pointed at.
    const owner = await redisClient((await cl.owner()).url);
    cleanups.push(owner.close);
    expect(await owner.send<number>(['XLEN', '{etsyhook}:jobs'])).toBe(1);
    const app = await recorder(cleanups);
    await worker(cleanups, node, h, ['--forward-to', app.url]);
    await waitFor('the delivery', () => app.requests.length === 1, 10_000);
    expect(app.requests[0]!.body.equals(ev.body)).toBe(true);
  });
});
