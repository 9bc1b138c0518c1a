/** One timer shared by several `failOverBy` calls: whichever has not settled when it fires fails over. */
export interface Deadline {
  /** Resolves when the time is up; never, once cleared. */
  readonly passed: Promise<void>;
  /** Stops the timer, once nothing waits on it any more. */
  clear(): void;
}

/**
 * Starts a deadline `timeoutMs` from now, for the calls of one request that run side by side: the
 * request then waits for one timeout, however many calls it makes.
 *
 * @example
 * const deadline = startDeadline(2000);
 * const states = await Promise.all(ids.map((id) => failOverBy(redisLimiter.consume(id), deadline, () => memoryLimiter.consume(id))));
 * deadline.clear();
 */
export function startDeadline(timeoutMs: number): Deadline {
  let fire!: () => void;
  const passed = new Promise<void>((resolve) => (fire = resolve));
  const timer = setTimeout(fire, timeoutMs);
  return { passed, clear: () => clearTimeout(timer) };
}

/**
 * `primary` unless it has not settled when `deadline`
 * passes, then `fallback()`. What the primary does after that is ignored.
 *
 * @example
 * const state = await failOverBy(redisLimiter.consume(id), deadline, () => memoryLimiter.consume(id));
 */
export function failOverBy<T>(primary: Promise<T>, deadline: Deadline, fallback: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    deadline.passed.then(() => {
      if (settled) return;
      settled = true;
      fallback().then(resolve, reject);
    });
    primary.then(
      (value) => {
        if (settled) return;
        settled = true;
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error);
      },
    );
  });
}
