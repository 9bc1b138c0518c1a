import type { Logger } from "./logger";

/**
 * The two warnings of a connection outage: one when it goes, however many failures follow of the
 * same cause, and one when it is back. Shared by the Redis and PostgreSQL connection watches.
 */
export class OutageLog {
  #lost = false;

  constructor(
    readonly logger: Logger,
    /** How the lines name the connection's far end: "Redis", "keys PostgreSQL". */
    readonly name: string,
  ) {}

  lost(reason: string): void {
    if (this.#lost) return;
    this.#lost = true;
    this.logger.warn(`portcullis: lost the connection to ${this.name} (${reason}); requests that need it are refused with 503 until it is back`);
  }

  back(): void {
    if (!this.#lost) return;
    this.#lost = false;
    this.logger.warn(`portcullis: the connection to ${this.name} is back`);
  }
}
