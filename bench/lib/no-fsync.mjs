// An experiment, never a product mode: preloaded with `node --import` into `etsyhook dev`, it makes the store's
// fdatasync a no-op that resolves on the next loop turn (the write(2) itself still happens). The bench runs it as a
// labelled side to show how much of the gap to bare Node is the durability promise (2xx only once on disk).
import { open } from 'node:fs/promises';

const probe = await open('/dev/null', 'r');
const proto = Object.getPrototypeOf(probe);
await probe.close();
proto.datasync = function datasync() {
  return new Promise((resolve) => setImmediate(resolve));
};
