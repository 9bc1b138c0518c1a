/** Things to undo, most recent first, run once whichever way the run ends. */
export interface Cleanup {
  /** Registers an undo step: stopping a server, a Redis, a client. */
  defer(step: () => Promise<void> | void): void;
}

/**
 * Runs `main`, then every deferred step, also when `main` throws or the process gets SIGINT or
 * SIGTERM, so a benchmark never leaves a server or a redis-server behind, then exits. A failure
 * is printed and makes the exit code 1.
 */
export function runWithCleanup(name: string, main: (cleanup: Cleanup) => Promise<void>): void {
  const steps: (() => Promise<void> | void)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      for (const step of steps.splice(0).reverse()) {
        await Promise.resolve()
          .then(step)
          .catch((error: unknown) => console.error(`${name}: cleanup failed:`, error));
      }
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`${name}: ${signal}, stopping`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  main({ defer: (step) => void steps.push(step) })
    .catch((error: unknown) => {
      console.error(`${name} failed:`, error instanceof Error ? (error.stack ?? error.message) : error);
      process.exitCode = 1;
    })
    .finally(async () => {
      await cleanUp();
      // A client or timer someone forgot must not keep a finished benchmark running.
      process.exit();
    });
}
