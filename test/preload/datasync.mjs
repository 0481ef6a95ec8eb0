// Preloaded into a command by a test (NODE_OPTIONS=--import): makes every fdatasync of the store misbehave, while
// writes still succeed. TEST_DATASYNC=slow: each takes 1.1 s longer (an answer comes in a later second than the
// request); TEST_DATASYNC=fail: each fails as a dying disk's would (EIO).
import { open } from 'node:fs/promises';

const probe = await open('/dev/null', 'r');
const proto = Object.getPrototypeOf(probe);
await probe.close();
const datasync = proto.datasync;
const mode = process.env.TEST_DATASYNC;
proto.datasync = async function misbehavingDatasync() {
  if (mode === 'fail') throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  if (mode === 'slow') await new Promise((resolve) => setTimeout(resolve, 1100));
  return datasync.call(this);
};
