/** How long to wait for Redis or PostgreSQL to accept the connection: a CLI fails fast, it does not wait it out. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How long one command or statement may take before the CLI gives up on a store that stopped answering. */
export const COMMAND_TIMEOUT_MS = 5_000;
