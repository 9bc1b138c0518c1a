import type { Ledger } from "./soak-ledger";

/** What every actor of a soak run shares. */
export interface SoakRun {
  /** The demo processes' origins; an index into it names a process. */
  readonly origins: readonly string[];
  readonly ledger: Ledger;
  /** False once the run's time is up: actors finish the step they are in, then stop. */
  running(): boolean;
  /** True once the run is cut short (Ctrl-C, a failure): even probes stop sending. */
  stopped(): boolean;
  /** Work that outlives the step that started it (probes at a grace period's end); awaited before judging. */
  background(task: Promise<void>): void;
}

/** A whole number from 0 to `below` - 1. */
export function randomInt(below: number): number {
  return Math.floor(Math.random() * below);
}

/** A number of milliseconds from `min` to `max`. */
export function randomBetween(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

/** A random process. */
export function anyServer(run: SoakRun): number {
  return randomInt(run.origins.length);
}
