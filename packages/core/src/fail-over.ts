/**
 * Waits at most `timeoutMs` for `primary`; if it has not settled by then, answers with `fallback()`
 * instead. For a Redis that accepts commands but does not answer: a rate limiter then counts in
 * its memory insurance rather than holding the request. Whatever the primary does after that is
 * ignored (a count it makes late stands, the stricter outcome).
 *
 * @example
 * const state = await failOverAfter(redisLimiter.consume(id), 2000, () => memoryLimiter.consume(id));
 */
export function failOverAfter<T>(primary: Promise<T>, timeoutMs: number, fallback: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      fallback().then(resolve, reject);
    }, timeoutMs);
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done();
    };
    primary.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
