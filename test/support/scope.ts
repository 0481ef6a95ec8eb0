// What a test starts is registered in a scope (an array of cleanups) and undone in reverse order when it ends.
export type Cleanup = () => unknown;
export type Scope = { push: (...fns: Cleanup[]) => unknown };

/** Run and forget every cleanup in `list`, last first; one that throws does not stop the others. */
export async function drain(list: Cleanup[]): Promise<void> {
  while (list.length > 0) {
    try {
      await list.pop()!();
    } catch {
      /* best effort: the rest still runs */
    }
  }
}
