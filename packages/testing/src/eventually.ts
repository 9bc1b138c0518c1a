/**
 * Resolves once `check` holds, polling every 10 ms, and fails after `timeoutMs`: for what happens
 * in the background (a flush, a published change, a reconnection), never a timing assertion.
 *
 * @example
 * await eventually(async () => !(await keys.verify(key)).ok);
 */
export async function eventually(check: () => boolean | Promise<boolean>, { timeoutMs = 2000 }: { timeoutMs?: number } = {}): Promise<void> {
  for (let tries = 0; !(await check()); tries++) {
    if (tries * 10 > timeoutMs) throw new Error("eventually: the condition never held");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
