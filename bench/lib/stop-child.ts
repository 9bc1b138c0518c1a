import type { ChildProcess } from "node:child_process";

const STOP_TIMEOUT_MS = 5_000;

/** Resolves once the child has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** SIGTERM, then SIGKILL if the child has not exited within five seconds. */
export async function stopChild(child: ChildProcess): Promise<void> {
  const done = exited(child);
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), STOP_TIMEOUT_MS)));
  if ((await Promise.race([done, late])) === "late") child.kill("SIGKILL");
  clearTimeout(timer);
  await done;
}
