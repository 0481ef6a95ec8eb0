// The README's tour, as a reader copies it: no literal id that exists only in the author's store; the line that takes
// an id from `events list` gives the newest matching event's id, through the shell and jq as written.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { BIN, it, ROOT } from './support/index.js';
import { received, writeStore } from './support/fixtures.js';

function tour(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## A 60-second tour\n+```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error("the README has no '## A 60-second tour' sh block");
  return block;
}

describe("the README's tour", () => {
  it('takes the id to replay from events list instead of a literal one', async ({ home }) => {
    const text = tour();
    expect(text).not.toMatch(/\bevt_[A-Za-z0-9]+/);
    const idLine = text.split('\n').find((l) => l.startsWith('id=$(etsyhook events list'));
    expect(idLine, 'a line id=$(etsyhook events list …)').toBeDefined();
    expect(text).toMatch(/^etsyhook replay "\$id"/m);
    try {
      execFileSync('jq', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error("the tour's id line needs jq: apt-get install jq (.ci/run installs it)");
    }

    const older = received({ type: 'order.paid', minutesAgo: 5 });
    const newest = received({ type: 'order.shipped', minutesAgo: 2 });
    await writeStore(home.dir, [older, newest, received({ type: 'listing.created', minutesAgo: 1 })]);
    // `etsyhook` on PATH, as `npm link` or a global install puts it.
    const bin = join(home.dir, 'bin');
    mkdirSync(bin);
    symlinkSync(BIN, join(bin, 'etsyhook'));
    const env = { ...home.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    const id = execFileSync('sh', ['-c', `${idLine!.replace(/\s+#.*$/, '')}\nprintf %s "$id"`], { env, encoding: 'utf8' });
    expect(id).toBe(newest.id);
  });
});
