// Preloaded into `etsyhook dev` by a test (NODE_OPTIONS=--import): every fdatasync takes 1.1 s longer, so a request's
// answer (and dev's line about it) comes in a later second than the request's arrival.
import { open } from 'node:fs/promises';

const probe = await open('/dev/null', 'r');
const proto = Object.getPrototypeOf(probe);
await probe.close();
const datasync = proto.datasync;
proto.datasync = async function slowDatasync() {
  await new Promise((resolve) => setTimeout(resolve, 1100));
  return datasync.call(this);
};
